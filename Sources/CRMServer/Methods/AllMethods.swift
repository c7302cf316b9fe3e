public import CRMProtocol
/// The registry of every method this server answers. Each area adds its group here.
public enum AllMethods {
    public static func registry() -> MethodRegistry {
        var registry = MethodRegistry([
            ServerMethods.all(),
            AuthMethods.all(),
            StaffMethods.all(),
            CustomerMethods.all(),
            ProductMethods.all(),
            OrderMethods.all(),
            InteractionMethods.all(),
            CaseMethods.all(),
            LoyaltyMethods.all(),
            ReportMethods.all(),
            ContactReportMethods.all(),
            QualityReportMethods.all(),
            SalesReportMethods.all(),
            PredictionReportMethods.all(),
            CampaignMethods.all(),
            LeadMethods.all(),
            CampaignReportMethods.all(),
            ExplainReportMethods.all(),
            GroupReportMethods.all(),
            PartnerMethods.all(),
            ShareMethods.all(),
            SettingsMethods.all(),
            SegmentMethods.all(),
            EventMethods.all(),
        ])
        registry.declare(EventMethods.notification)
        return registry
    }
}
