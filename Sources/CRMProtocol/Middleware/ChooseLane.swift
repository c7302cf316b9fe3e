import CRMModel

/// The deadline of the call's lane: a statement still running after it is cancelled (-32008).
/// Reports have a longer one of their own (CRM_REPORT_TIMEOUT_MS).
struct ChooseLane: CallStep {
    let limits: ServerLimits

    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        var call = call
        call.deadline = call.method.lane == .report ? limits.reportDeadline : limits.requestDeadline
        return try await next(call)
    }
}
