import ArgumentParser
import CRMCore
import Foundation
import PQ

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage business units.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a business unit; prints its slug on the last line.")
        @Argument(help: "Slug: lower case letters, digits, - and _.") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?

        func run() throws {
            do {
                try withDatabase { try AdminOperations.createTenant($0, slug: slug, name: name ?? slug) }
                print(slug)
            } catch { fail(error) }
        }
    }
}

struct PartnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Manage partner organisations.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a partner organisation; prints its slug on the last line.")
        @Argument var slug: String
        @Option var name: String?

        func run() throws {
            do {
                try withDatabase { try AdminOperations.createPartner($0, slug: slug, name: name ?? slug) }
                print(slug)
            } catch { fail(error) }
        }
    }
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a principal and its API key; prints the key on the last line (only a hash is stored).")
        @Option(help: "The business unit's slug (with --role).") var tenant: String?
        @Option(help: "Role inside the unit: manager, agent, marketing, director, viewer, designer.") var role: String?
        @Option(help: "A partner's slug.") var partner: String?
        @Flag(help: "An operator key.") var admin = false
        @Option(help: "Who holds the key.") var name: String?

        func validate() throws {
            let modes = [tenant != nil, partner != nil, admin].filter { $0 }.count
            guard modes == 1 else { throw ValidationError("give exactly one of --tenant SLUG --role ROLE, --partner SLUG, --admin") }
            if tenant != nil && role == nil { throw ValidationError("--tenant needs --role") }
        }

        func run() throws {
            do {
                let holder: AdminOperations.Holder = admin ? .admin : partner.map { .partner($0) } ?? .unit(tenant: tenant!, role: role!)
                let key = try withDatabase { try AdminOperations.issueKey($0, for: holder, name: name) }
                print(key)
            } catch { fail(error) }
        }
    }
}

