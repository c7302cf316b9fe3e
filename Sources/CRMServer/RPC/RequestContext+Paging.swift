public import CRMProtocol
public import CRMCore
public import PQ

extension RequestContext {
    /// Runs a keyset-paged query whose rows are `key` (the paging key as text) and `json`, in this
    /// order (read by position: no lookup of the columns' names per row), and answers
    /// `{"items": [...], "next_cursor": "..." | null}`. The query must fetch `limit + 1` rows so
    /// the presence of a next page is known without a count.
    public func page(_ query: PQQuery, limit: Int) async throws(CRMError) -> JSON {
        let result = try await self.query(query)
        let rows: [(String, String)]
        do { rows = try result.map { row in (try row.get(at: 0), try row.get(at: 1)) } } catch { throw CRMError.from(error) }
        let items = rows.prefix(limit).map { JSON.raw($0.1) }
        let next: JSON = rows.count > limit ? .string(Paging.encode(rows[limit - 1].0)) : .null
        return ["items": .array(Array(items)), "next_cursor": next]
    }
}
