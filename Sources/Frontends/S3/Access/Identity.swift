import ShareCore

/// Who signed a request: the account (owner of every bucket) or an added key
/// (``S3Key``). An anonymous request has no identity (`nil`).
struct S3Identity: Sendable, Hashable {
    /// The canonical user id ACLs name (the account's access key id for the account).
    let canonicalId: String
    /// The display name in ACLs and listings.
    let displayName: String
    /// The access key id that signs as this identity.
    let accessKeyId: String
    /// The secret access key.
    let secretKey: String
    /// Whether this is the account, which owns every bucket.
    let isAccount: Bool

    /// The account of `configuration`.
    static func account(_ configuration: S3Configuration) -> S3Identity {
        S3Identity(canonicalId: configuration.accessKey, displayName: configuration.accessKey,
                   accessKeyId: configuration.accessKey, secretKey: configuration.secretKey, isAccount: true)
    }

    /// The identity of an added key.
    init(_ key: S3Key) {
        self.init(canonicalId: key.canonicalId, displayName: key.name, accessKeyId: key.accessKeyId,
                  secretKey: key.secretKey, isAccount: false)
    }

    init(canonicalId: String, displayName: String, accessKeyId: String, secretKey: String, isAccount: Bool) {
        self.canonicalId = canonicalId
        self.displayName = displayName
        self.accessKeyId = accessKeyId
        self.secretKey = secretKey
        self.isAccount = isAccount
    }
}

/// Every identity known when a request arrives: the account and the keys in the store (as of
/// the store's last commit, so keys added or removed while the server runs, by it or by
/// `sharecore s3 key`, take effect at once).
struct S3Identities: Sendable {
    let account: S3Identity
    let all: [S3Identity]
    /// Access key id → secret, for SigV4.
    let secrets: [String: String]

    init(account: S3Identity, all: [S3Identity]) {
        self.account = account
        self.all = all
        secrets = Dictionary(all.map { ($0.accessKeyId, $0.secretKey) }, uniquingKeysWith: { first, _ in first })
    }

    /// The account and the stored keys. A stored key whose id is the account's is ignored.
    /// Read and decoded once per committed state of the store (`readRecords(derived:)`):
    /// reading them for every request was 4% of a small S3 GET (issue #14).
    static func load(_ store: ShareStore, _ configuration: S3Configuration) throws -> S3Identities {
        let account = S3Identity.account(configuration)
        return try store.readRecords(derived: "s3-identities\n" + account.accessKeyId + "\n" + account.secretKey) { records in
            let keys = try ShareStore.s3Keys(records).map(S3Identity.init).filter { $0.accessKeyId != account.accessKeyId }
            return S3Identities(account: account, all: [account] + keys)
        }
    }

    /// The identity signing with `accessKeyId`.
    func signing(_ accessKeyId: String) -> S3Identity? { all.first { $0.accessKeyId == accessKeyId } }

    /// The identity with canonical id `id`.
    func canonical(_ id: String) -> S3Identity? { all.first { $0.canonicalId == id } }

    /// The identity a policy principal names: a canonical id, an access key id, a key name, or
    /// an ARN `arn:aws:iam::<id>:root` / `arn:aws:iam::<id>:user/<name>` with any of those.
    func principal(_ text: String) -> S3Identity? {
        var name = text
        if name.hasPrefix("arn:aws:iam::") {
            let rest = name.dropFirst("arn:aws:iam::".count)
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            if parts[1] == "root" {
                name = String(parts[0])
            } else if parts[1].hasPrefix("user/") {
                name = String(parts[1].dropFirst(5))
            } else {
                return nil
            }
        }
        return all.first { $0.canonicalId == name || $0.accessKeyId == name || $0.displayName == name }
    }
}
