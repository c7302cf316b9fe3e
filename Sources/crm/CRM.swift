import ArgumentParser

@main
struct CRM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm",
        abstract: "A multi-tenant CRM server over PostgreSQL, speaking line-delimited JSON-RPC 2.0.",
        discussion: "Configuration comes from the environment (DATABASE_URL, CRM_LISTEN, CRM_KEY, CRM_URL, LOG_LEVEL, CRM_SQL_DIR, ...); flags override it.",
        subcommands: [
            MigrateCommand.self, ServeCommand.self, TenantCommand.self, PartnerCommand.self,
            KeyCommand.self, ImportCommand.self, ExportCommand.self, CallCommand.self, DemoCommand.self, SeedCommand.self,
        ]
    )
}
