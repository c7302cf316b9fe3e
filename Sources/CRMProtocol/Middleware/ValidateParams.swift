import CRMModel

/// With what: the params against the method's declaration (-32602 naming the field); the handler
/// gets them typed and checked.
struct ValidateParams: CallStep {
    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        var call = call
        call.params = Params(try ParamValidation.validate(call.rawParams, against: call.method.params))
        return try await next(call)
    }
}
