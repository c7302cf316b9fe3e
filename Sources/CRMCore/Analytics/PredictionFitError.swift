/// Why a model could not be fitted to a unit's customers.
public enum PredictionFitError: Error, Equatable, CustomStringConvertible {
    /// Too little history: the likelihood has no useful maximum.
    case tooFewCustomers(customers: Int, repeatCustomers: Int, needed: Int, neededRepeat: Int)
    /// The optimiser ended at a boundary or a non-finite value (the data carry no information
    /// on some parameter, e.g. nobody ever dropped out).
    case degenerate(String)

    public var description: String {
        switch self {
        case let .tooFewCustomers(customers, repeatCustomers, needed, neededRepeat):
            return "too few customers to fit: \(customers) with a purchase and \(repeatCustomers) who bought again; "
                + "at least \(needed) and \(neededRepeat) are needed"
        case let .degenerate(why):
            return "the model has no proper fit to these customers: \(why)"
        }
    }
}
