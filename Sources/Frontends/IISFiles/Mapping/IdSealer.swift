import Crypto
import Foundation
import ShareCore

/// Seals and opens the front's opaque ids. An id is the base64url (unpadded) of
/// `nonce ‖ AES-GCM(plaintext) ‖ tag`, where the nonce is an HMAC of the plaintext: the same
/// plaintext always gives the same id (as IIS's AES-CBC ids with a fixed IV do), and without
/// the store's secret no one can make an id that opens, so a client cannot name a path it was
/// never given.
public struct IdSealer: Sendable {
    private let encryptionKeyBytes: [UInt8]
    private let nonceKeyBytes: [UInt8]
    private var encryptionKey: SymmetricKey { SymmetricKey(data: encryptionKeyBytes) }
    private var nonceKey: SymmetricKey { SymmetricKey(data: nonceKeyBytes) }

    /// A sealer keyed by `secret` (32 random bytes kept with the store).
    public init(secret: [UInt8]) {
        let master = SymmetricKey(data: secret)
        encryptionKeyBytes = Array(HMAC<SHA256>.authenticationCode(for: Array("ids.encryption".utf8), using: master))
        nonceKeyBytes = Array(HMAC<SHA256>.authenticationCode(for: Array("ids.nonce".utf8), using: master))
    }

    /// The id of `plaintext`.
    public func seal(_ plaintext: String) -> String {
        let message = Array(plaintext.utf8)
        let nonceBytes = Array(HMAC<SHA256>.authenticationCode(for: message, using: nonceKey)).prefix(12)
        guard let nonce = try? AES.GCM.Nonce(data: nonceBytes),
              let box = try? AES.GCM.seal(message, using: encryptionKey, nonce: nonce)
        else { return "" }
        return Base64URL.encode(Array(nonceBytes) + Array(box.ciphertext) + Array(box.tag))
    }

    /// The plaintext of `id`, or nil when `id` is not one this sealer made.
    public func open(_ id: String) -> String? {
        guard id.count <= 4096, let raw = Base64URL.decode(id), raw.count >= 28 else { return nil }
        guard let nonce = try? AES.GCM.Nonce(data: raw[0..<12]),
              let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: raw[12..<(raw.count - 16)], tag: raw[(raw.count - 16)...]),
              let message = try? AES.GCM.open(box, using: encryptionKey)
        else { return nil }
        // Only the canonical form opens: the nonce must be the one sealing would choose.
        guard Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: nonceKey)).prefix(12) == raw[0..<12] else { return nil }
        return String(validating: Array(message), as: UTF8.self)
    }
}

/// base64url without padding (RFC 4648 §5), as IIS writes ids.
public enum Base64URL {
    /// Encodes `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes `text`; nil when it is not base64url.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
        }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    /// `count` random bytes, base64url (32 bytes make the 43-character ids of operations and downloads).
    public static func random(_ count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// The ids the front hands out, all sealed with the store's secret.
public struct IdScheme: Sendable {
    let sealer: IdSealer

    /// File and directory ids: deterministic per path, folded to lower case on
    /// case-insensitive shares (so every spelling of a path has one id).
    public func file(_ path: ItemPath, caseSensitive: Bool) -> String {
        sealer.seal("f\n\(path.share)\n" + path.folded(caseSensitive: caseSensitive).joined(separator: "/"))
    }

    /// The path a file id names; nil when the id is not one of ours or not a file id.
    public func filePath(_ id: String) -> ItemPath? {
        guard let text = sealer.open(id) else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "f", (try? Names.validateShare(parts[1])) != nil else { return nil }
        let components = parts[2].isEmpty ? [] : parts[2].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard components.allSatisfy(FileName.isValid) else { return nil }
        return ItemPath(share: parts[1], components: components)
    }

    /// Website ids.
    func website(_ key: UInt64) -> String { sealer.seal("w\n\(key)") }

    /// The website key of a website id.
    func websiteKey(_ id: String) -> UInt64? {
        guard let text = sealer.open(id), text.hasPrefix("w\n") else { return nil }
        return UInt64(text.dropFirst(2))
    }

    /// `/api/webserver/files` ids: a site and a virtual path (`/`, `/a/b`), folded like file ids.
    func webFile(site: UInt64, _ components: [String], caseSensitive: Bool) -> String {
        let names = caseSensitive ? components : components.map { $0.lowercased() }
        return sealer.seal("v\n\(site)\n/" + names.joined(separator: "/"))
    }

    /// The site and virtual path components of a web file id.
    func webFilePath(_ id: String) -> (site: UInt64, components: [String])? {
        guard let text = sealer.open(id) else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "v", let site = UInt64(parts[1]), parts[2].hasPrefix("/") else { return nil }
        let components = parts[2].dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let names = components == [""] ? [] : components
        guard names.allSatisfy(FileName.isValid) else { return nil }
        return (site, names)
    }
}
