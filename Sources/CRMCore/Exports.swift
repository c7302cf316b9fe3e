// The model types (CRMError, Principal, Role) come with CRMCore for everything that imports it.
@_exported public import CRMModel
