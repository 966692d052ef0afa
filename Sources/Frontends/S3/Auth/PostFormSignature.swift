import Crypto
import Foundation

/// The signature of a browser form upload (POST Object): the form's fields sign its `policy`
/// field, as the text received, rather than the request being signed.
///
/// - Signature Version 4: `x-amz-algorithm` (`AWS4-HMAC-SHA256`), `x-amz-credential`
///   (`<key>/<yyyyMMdd>/<region>/s3/aws4_request`), `x-amz-date` and `x-amz-signature`, the hex
///   HMAC-SHA256 of the policy under the credential's signing key.
/// - Signature Version 2: `AWSAccessKeyId` and `signature`, the base64 HMAC-SHA1 of the policy
///   under the secret key.
///
/// A form with none of these fields is anonymous (``verify(_:secrets:)`` answers nil).
enum PostFormSignature {
    /// The access key that signed `fields` (lower-case names), or nil for an anonymous form.
    /// Throws what S3 answers: a missing signing field or policy, or a malformed credential or
    /// date, 400 `InvalidArgument` naming the field; an unknown key 403 `InvalidAccessKeyId`; a
    /// wrong signature 403 `SignatureDoesNotMatch` (with the policy as the string to sign).
    static func verify(_ fields: [String: String], secrets: [String: String]) throws(S3Error) -> String? {
        let v4Names = ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"]
        if v4Names.contains(where: { fields[$0] != nil }) {
            return try verifyV4(fields, secrets: secrets)
        }
        if fields["awsaccesskeyid"] != nil || fields["signature"] != nil {
            return try verifyV2(fields, secrets: secrets)
        }
        return nil
    }

    private static func verifyV4(_ fields: [String: String], secrets: [String: String]) throws(S3Error) -> String {
        let algorithm = try required(fields, "x-amz-algorithm", shown: "X-Amz-Algorithm")
        let credential = try required(fields, "x-amz-credential", shown: "X-Amz-Credential")
        let date = try required(fields, "x-amz-date", shown: "X-Amz-Date")
        let provided = try required(fields, "x-amz-signature", shown: "X-Amz-Signature")
        let policy = try required(fields, "policy", shown: "Policy")
        guard algorithm == "AWS4-HMAC-SHA256" else {
            throw S3Error.invalidArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", name: "X-Amz-Algorithm", value: algorithm)
        }
        guard SigV4.parseBasicTimestamp(date) != nil else {
            throw S3Error.invalidArgument("X-Amz-Date must be formated via ISO8601 Long format", name: "X-Amz-Date", value: date)
        }
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[1].utf8.count == 8, parts[1].utf8.allSatisfy({ (48...57).contains($0) }),
              parts[3] == "s3", parts[4] == "aws4_request"
        else {
            throw S3Error.invalidArgument("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                                          name: "X-Amz-Credential", value: credential)
        }
        guard !parts[0].isEmpty else {
            throw S3Error.invalidArgument("a non-empty Access Key (AKID) must be provided in the credential.",
                                          name: "X-Amz-Credential", value: credential)
        }
        guard let secret = secrets[parts[0]] else { throw S3Error.invalidAccessKeyId(parts[0]) }
        let key = SigV4.signingKey(secret: secret, date: parts[1], region: parts[2])
        guard SigV4.signaturesEqual(SigV4.signature(key: key, policy), provided) else {
            throw mismatch(accessKey: parts[0], policy: policy, provided: provided)
        }
        return parts[0]
    }

    private static func verifyV2(_ fields: [String: String], secrets: [String: String]) throws(S3Error) -> String {
        let accessKey = try required(fields, "awsaccesskeyid", shown: "AWSAccessKeyId")
        let provided = try required(fields, "signature", shown: "Signature")
        let policy = try required(fields, "policy", shown: "Policy")
        guard let secret = secrets[accessKey] else { throw S3Error.invalidAccessKeyId(accessKey) }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(policy.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        let expected = Data(mac).base64EncodedString()
        guard constantTimeEqual(Array(expected.utf8), Array(provided.utf8)) else {
            throw mismatch(accessKey: accessKey, policy: policy, provided: provided)
        }
        return accessKey
    }

    /// A field that must be there: 400 `InvalidArgument` as S3 words it otherwise.
    private static func required(_ fields: [String: String], _ name: String, shown: String) throws(S3Error) -> String {
        guard let value = fields[name] else {
            throw S3Error.invalidArgument("Bucket POST must contain a field named '\(shown)'.  If it is specified, please check the order of the fields.",
                                          name: shown, value: "")
        }
        return value
    }

    private static func mismatch(accessKey: String, policy: String, provided: String) -> S3Error {
        S3Error(.forbidden, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                details: [("AWSAccessKeyId", accessKey), ("StringToSign", policy), ("SignatureProvided", provided),
                          ("StringToSignBytes", policy.utf8.map { SigV4.hex([$0]) }.joined(separator: " "))])
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
