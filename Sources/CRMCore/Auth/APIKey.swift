/// API keys: 32 random bytes from the system's secure generator, as `crm_` plus base32 text.
/// Only a SHA-256 hash is stored (by `crm.create_api_key` in SQL).
public enum APIKey {
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "crm_"
        for _ in 0..<52 { out.append(alphabet[Int(rng.next() % 32)]) }
        return out
    }
}
