import CRMCore
import Foundation
import XCTest

/// The BG/NBD and Gamma-Gamma fits against the published results on the CDNOW sample (2,357
/// customers of 1997's first quarter, weeks, calibration to 1997-09-30): Fader, Hardie and Lee
/// (2005) report r = 0.243, α = 4.414, a = 0.793, b = 2.426; Fader and Hardie's Gamma-Gamma note
/// p = 6.25, q = 3.74, γ = 15.44 on the 946 repeat customers. The data come from the `lifetimes`
/// package (Scripts/lib/oracle_venv.sh installs it; Scripts/test sets the variables):
/// CRM_CDNOW_SUMMARY = cdnow_customers_summary.csv (ID, frequency, recency, T) and
/// CRM_CDNOW_SUMMARY_MONETARY = cdnow_customers_summary_with_transactions.csv (ID, x, t_x, T, zbar).
final class CustomerPredictionFitTests: XCTestCase {
    /// Reads a summary CSV by its header, whichever of lifetimes' two namings it uses.
    static func load(_ variable: String) throws -> [RFMObservation] {
        guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
            throw XCTSkip("\(variable) is not set (Scripts/test sets it from the lifetimes oracle venv): the CDNOW fit is not checked")
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: ",").map { String($0) }
        func column(_ names: String...) throws -> Int {
            guard let i = header.firstIndex(where: names.contains) else { throw CocoaError(.fileReadCorruptFile) }
            return i
        }
        let (x, tx, t) = (try column("frequency", "x"), try column("recency", "t_x"), try column("T"))
        let m = header.firstIndex(where: ["monetary_value", "zbar"].contains)
        return lines.dropFirst().map { line in
            let f = line.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
            return RFMObservation(frequency: f[x], recency: f[tx], T: f[t], monetaryValue: m.map { f[$0] } ?? 0)
        }
    }

    func testBGNBDFitMatchesThePublishedCDNOWEstimates() throws {
        let customers = try Self.load("CRM_CDNOW_SUMMARY")
        XCTAssertEqual(customers.count, 2357)
        let fit = try BGNBDModel.fit(customers)
        let m = fit.model
        XCTAssertEqual(m.r, 0.243, accuracy: 0.005, "r")
        XCTAssertEqual(m.alpha, 4.414, accuracy: 0.005, "alpha")
        XCTAssertEqual(m.a, 0.793, accuracy: 0.005, "a")
        XCTAssertEqual(m.b, 2.426, accuracy: 0.005, "b")
        // The paper's log-likelihood at its estimates: -9582.4.
        XCTAssertEqual(fit.logLikelihood, -9582.4, accuracy: 0.1)
        XCTAssertEqual(fit.customers, 2357)
        // Optimal: no neighbouring point is better.
        for (i, step) in [(0, 0.001), (1, 0.01), (2, 0.001), (3, 0.01)] {
            for sign in [-1.0, 1.0] {
                var p = [m.r, m.alpha, m.a, m.b]
                p[i] += sign * step
                let near = BGNBDModel(r: p[0], alpha: p[1], a: p[2], b: p[3])
                XCTAssertLessThanOrEqual(near.logLikelihood(customers), fit.logLikelihood, "parameter \(i) moved by \(sign * step)")
            }
        }
    }

    func testGammaGammaFitMatchesThePublishedCDNOWEstimates() throws {
        let customers = try Self.load("CRM_CDNOW_SUMMARY_MONETARY")
        let fit = try GammaGammaModel.fit(customers)
        XCTAssertEqual(fit.customers, 946)
        XCTAssertEqual(fit.model.p, 6.25, accuracy: 0.005, "p")
        XCTAssertEqual(fit.model.q, 3.74, accuracy: 0.01, "q")
        XCTAssertEqual(fit.model.v, 15.44, accuracy: 0.01, "v")
    }

    /// Hand-checkable: P(alive) of a customer of the paper's figure (x = 2, t_x = 30.43, T = 38.86)
    /// under the published parameters: 1 / (1 + 0.793/3.426 · (43.274/34.844)^2.243) = 0.7266.
    func testProbabilityAliveByHand() {
        let m = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        XCTAssertEqual(m.probabilityAlive(frequency: 2, recency: 30.43, T: 38.86), 0.7266, accuracy: 0.0005)
        XCTAssertEqual(m.probabilityAlive(frequency: 0, recency: 0, T: 38.86), 1)
    }

    /// Everyone drops out with the same probability: the likelihood rises without end as a and b
    /// grow together; the fit stops at the cap with the mean a/(a+b) near the true 0.3.
    func testHomogeneousDropOutStopsAtTheCap() throws {
        var customers: [RFMObservation] = []
        for x in 0..<8 {
            // 0.7^x · 0.3 of 1,000 customers made x repeat purchases, at one a week, 20 weeks ago.
            let n = (1000 * 0.3 * pow(0.7, Double(x))).rounded()
            customers.append(RFMObservation(frequency: Double(x), recency: Double(x), T: 20, weight: n))
        }
        let fit = try BGNBDModel.fit(customers)
        XCTAssertLessThanOrEqual(fit.model.a, BGNBDModel.maximumBeta)
        XCTAssertLessThanOrEqual(fit.model.b, BGNBDModel.maximumBeta)
        XCTAssertGreaterThan(fit.model.a + fit.model.b, 100, "a and b grow together: \(fit.model)")
    }

    /// A unit above the sample size is fitted on a systematic sample of about that many customers,
    /// the same rows each time, spread over the whole RFM range.
    func testABigUnitIsFittedOnASample() {
        var rows: [RFMObservation] = []
        for i in 0..<120_000 {
            let x = Double(i % 7), t = 40 + Double(i % 11), m = Double(i % 13)
            rows.append(RFMObservation(frequency: x, recency: x * 3, T: t, monetaryValue: m, weight: 1))
        }
        let sample: [RFMObservation] = CustomerPredictionRefresh.sample(Array(rows.reversed()))
        XCTAssertEqual(sample.count, 40_000, "every 3rd of 120,000 rows (ceil(120,000 / 50,000) = 3)")
        let again: [RFMObservation] = CustomerPredictionRefresh.sample(rows)
        XCTAssertEqual(sample.map { $0.frequency }, again.map { $0.frequency }, "the same rows whatever the input order")
        XCTAssertEqual(Set(sample.map { $0.frequency }).count, 7, "every frequency of the unit is in it")
        XCTAssertEqual(CustomerPredictionRefresh.sample(Array(rows.prefix(50_000))).count, 50_000, "a unit of the sample size is fitted whole")
    }

    func testTooFewCustomersIsAnErrorNotACrash() {
        let few = (0..<30).map { RFMObservation(frequency: $0 < 2 ? 1 : 0, recency: $0 < 2 ? 3 : 0, T: 10) }
        XCTAssertThrowsError(try BGNBDModel.fit(few)) { error in
            guard case PredictionFitError.tooFewCustomers(30, 2, _, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try GammaGammaModel.fit(few))
        XCTAssertThrowsError(try BGNBDModel.fit([]))
    }
}
