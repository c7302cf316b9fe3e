/// One customer's purchase history in the summary the buy-till-you-die models read (lifetimes'
/// conventions, as `report.rfm` computes them): `frequency` repeat purchase periods, `recency`
/// periods from the first to the last purchase, `T` periods from the first purchase to the end of
/// observation, `monetaryValue` the mean value of the repeat periods (0 without repeats).
/// `weight` counts identical customers once (the fits group equal summaries).
public struct RFMObservation: Sendable, Equatable {
    public var frequency: Double
    public var recency: Double
    public var T: Double
    public var monetaryValue: Double
    public var weight: Double

    public init(frequency: Double, recency: Double, T: Double, monetaryValue: Double = 0, weight: Double = 1) {
        self.frequency = frequency
        self.recency = recency
        self.T = T
        self.monetaryValue = monetaryValue
        self.weight = weight
    }
}
