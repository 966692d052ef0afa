import Foundation
import FrontKit
import HTTPTypes

/// How the payload of a verified request is protected (what `x-amz-content-sha256` says).
enum PayloadMode: Sendable, Equatable {
    /// `UNSIGNED-PAYLOAD`, and presigned URLs: nothing to check against the signature.
    case unsigned
    /// The lowercase hex SHA-256 the client gave: the body must hash to it.
    case sha256(String)
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body with a signature per chunk.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailing headers.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: an aws-chunked body without signatures, then trailers.
    case streamingUnsignedTrailer

    /// Whether the body is aws-chunked.
    var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: true
        case .unsigned, .sha256: false
        }
    }

    /// Whether the chunks carry signatures.
    var signsChunks: Bool { self == .streamingSigned || self == .streamingSignedTrailer }

    /// Whether trailing headers may follow the last chunk.
    var hasTrailer: Bool { self == .streamingSignedTrailer || self == .streamingUnsignedTrailer }
}

/// A request whose signature checked out.
struct SigV4Auth: Sendable {
    /// The access key id that signed.
    let accessKey: String
    /// The time of the request (`x-amz-date`, `Date` or `X-Amz-Date`).
    let requestDate: Date
    /// That time as it is signed: `yyyyMMdd'T'HHmmss'Z'`.
    let timestamp: String
    /// The credential scope, `20130524/us-east-1/s3/aws4_request`.
    let scope: String
    /// The key derived from the secret for the scope.
    let signingKey: [UInt8]
    /// The request's signature: the seed of chunk signatures.
    let seedSignature: String
    /// The canonical request that was signed (echoed in chunk signature errors).
    let canonicalRequest: String
    /// How the payload is protected.
    let payload: PayloadMode
    /// Whether the signature came in the query string.
    let presigned: Bool
}

/// AWS Signature Version 4 as S3 checks it: the `Authorization` header or a presigned URL.
enum SigV4 {
    /// How far the time of a header-signed request may be from the server's, and how early a
    /// presigned URL may be used.
    static let maximumSkew: TimeInterval = 15 * 60
    /// The longest validity of a presigned URL: seven days.
    static let maximumExpires = 604_800

    private static let oneMechanism = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
        + "Signature query string parameter or the Authorization header should be specified"
    private static let version2 = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    private static let payloadHashValues = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
        + "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
    private static let presignedParameters = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                                              "X-Amz-SignedHeaders", "X-Amz-Expires"]

    /// Verifies the `Authorization` header (`AWS4-HMAC-SHA256`) or a presigned URL
    /// (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders`, `X-Amz-Signature`). `secrets` maps access key id to secret key.
    ///
    /// Throws what S3 answers: no credentials `AccessDenied`; an unknown key
    /// `InvalidAccessKeyId`; a wrong signature `SignatureDoesNotMatch` (with the string to sign
    /// and the canonical request); a header-signed request more than 15 minutes from `now`
    /// `RequestTimeTooSkewed`; an expired presigned URL `AccessDenied` "Request has expired";
    /// malformed credentials `AuthorizationHeaderMalformed` or
    /// `AuthorizationQueryParametersError`; Signature Version 2 `InvalidRequest`; no
    /// `x-amz-content-sha256` on a header-signed request `InvalidRequest`.
    ///
    /// `query` is the request's query when the caller has parsed it already.
    static func verify(_ head: HTTPRequest, query: SigV4Query? = nil, secrets: [String: String],
                       now: Date = Date()) throws -> SigV4Auth {
        let query = query ?? SigV4Query(splitTarget(head.path ?? "/").query)
        func queryValue(_ name: String) -> String? { query.value(name) }
        let hasPresigned = query.contains(anyOf: ["x-amz-algorithm", "x-amz-credential", "x-amz-signature"])
        let authorizations = head.headerFields[values: .authorization]
        if let header = authorizations.first, !header.isEmpty {
            if hasPresigned {
                throw S3Error.invalidArgument(oneMechanism, name: "Authorization", value: header)
            }
            return try verifyHeader(header, head, query: query, secrets: secrets, now: now)
        }
        if hasPresigned {
            return try verifyPresigned(head, query: query, secrets: secrets, now: now)
        }
        if queryValue("AWSAccessKeyId") != nil, queryValue("Signature") != nil {
            throw S3Error.invalidRequest(version2)
        }
        throw S3Error.accessDenied()
    }

    // MARK: Authorization header

    private static func verifyHeader(_ header: String, _ head: HTTPRequest, query: SigV4Query, secrets: [String: String],
                                     now: Date) throws -> SigV4Auth {
        let scheme = header.prefix { $0 != " " }
        switch scheme {
        case "AWS4-HMAC-SHA256": break
        case "AWS": throw S3Error.invalidRequest(version2)
        default: throw S3Error.invalidArgument("Unsupported Authorization Type", name: "Authorization", value: header)
        }
        var components: [String: String] = [:]
        var count = 0
        for part in header.dropFirst(scheme.count).split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            components[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
            count += 1
        }
        guard count == 3, let credential = components["Credential"], let signedList = components["SignedHeaders"],
              let provided = components["Signature"]
        else {
            throw S3Error.authorizationHeaderMalformed(
                "the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }

        guard let payloadHash = head.headerFields[values: fieldName("x-amz-content-sha256")].first else {
            throw S3Error.invalidRequest("Missing required header for this request: x-amz-content-sha256")
        }
        let payload = try payloadMode(checking: payloadHash)

        let timestamp: String
        let requestTime: String
        if let amzDate = head.headerFields[values: fieldName("x-amz-date")].first {
            guard parseBasicTimestamp(amzDate) != nil else { throw noDate() }
            timestamp = amzDate
            requestTime = amzDate
        } else if let date = head.headerFields[values: .date].first, let seconds = HTTPDate.parse(date) {
            timestamp = basicTimestamp(Date(timeIntervalSince1970: TimeInterval(seconds)))
            requestTime = date
        } else {
            throw noDate()
        }
        guard let requestDate = parseBasicTimestamp(timestamp) else { throw noDate() }

        let (accessKey, scope, region) = try parseCredential(credential, timestamp: timestamp) {
            S3Error.authorizationHeaderMalformed($0)
        }
        guard let secret = secrets[accessKey] else { throw S3Error.invalidAccessKeyId(accessKey) }
        // As S3 does, the time is judged before the signature: a request dated too far from
        // now is `RequestTimeTooSkewed` whether or not its signature would hold.
        if abs(requestDate.timeIntervalSince(now)) > maximumSkew {
            throw S3Error.requestTimeTooSkewed(requestTime: requestTime, serverTime: isoTimestamp(now))
        }
        let signedHeaders = signedList.split(separator: ";", omittingEmptySubsequences: true).map { $0.lowercased() }
        try checkSigned(head, signedHeaders: signedHeaders)

        let key = signingKey(secret: secret, date: String(timestamp.prefix(8)), region: region)
        let canonical = canonicalRequest(head, signedHeaders: signedHeaders, payloadHash: payloadHash, query: query)
        let toSign = stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical)
        guard signaturesEqual(signature(key: key, toSign), provided) else {
            throw S3Error.sigV4Mismatch(accessKey: accessKey, stringToSign: toSign, provided: provided, canonicalRequest: canonical)
        }
        return SigV4Auth(accessKey: accessKey, requestDate: requestDate, timestamp: timestamp, scope: scope, signingKey: key,
                         seedSignature: provided.lowercased(), canonicalRequest: canonical, payload: payload, presigned: false)
    }

    // MARK: Presigned URL

    private static func verifyPresigned(_ head: HTTPRequest, query: SigV4Query, secrets: [String: String],
                                        now: Date) throws -> SigV4Auth {
        func parameterError(_ message: String) -> S3Error { S3Error.authorizationQueryParametersError(message) }
        let values = presignedParameters.map(query.value)
        guard values.allSatisfy({ $0 != nil }), let algorithmName = values[0], let credential = values[1],
              let provided = values[2], let timestamp = values[3], let signedList = values[4], let expiresText = values[5]
        else {
            throw parameterError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                + "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithmName == algorithm else {
            throw parameterError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\"")
        }
        guard let requestDate = parseBasicTimestamp(timestamp) else {
            throw parameterError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        guard let expires = Int(expiresText) else { throw parameterError("X-Amz-Expires should be a number") }
        guard expires >= 0 else { throw parameterError("X-Amz-Expires must be non-negative") }
        guard expires <= maximumExpires else {
            throw parameterError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                + "must be less than 604800 seconds")
        }
        if let auth = try rememberedPresigned(head, secrets: secrets, now: now) { return auth }
        let contentHash = head.headerFields[values: fieldName("x-amz-content-sha256")].first
        let (accessKey, scope, region) = try parseCredential(credential, timestamp: timestamp) {
            parameterError("Error parsing the X-Amz-Credential parameter; " + $0)
        }
        guard let secret = secrets[accessKey] else { throw S3Error.invalidAccessKeyId(accessKey) }
        let signedHeaders = signedList.split(separator: ";", omittingEmptySubsequences: true).map { $0.lowercased() }
        try checkSigned(head, signedHeaders: signedHeaders)

        let payloadHash = contentHash ?? "UNSIGNED-PAYLOAD"
        let payload = try contentHash.map { try payloadMode(checking: $0) } ?? .unsigned
        let key = signingKey(secret: secret, date: String(timestamp.prefix(8)), region: region)
        let canonical = canonicalRequest(head, signedHeaders: signedHeaders, payloadHash: payloadHash,
                                         excludingQuery: ["x-amz-signature"], query: query)
        let toSign = stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical)
        guard signaturesEqual(signature(key: key, toSign), provided) else {
            throw S3Error.sigV4Mismatch(accessKey: accessKey, stringToSign: toSign, provided: provided, canonicalRequest: canonical)
        }
        try checkPresignedTime(requestDate: requestDate, timestamp: timestamp, expires: expires, expiresText: expiresText, now: now)
        let auth = SigV4Auth(accessKey: accessKey, requestDate: requestDate, timestamp: timestamp, scope: scope, signingKey: key,
                             seedSignature: provided.lowercased(), canonicalRequest: canonical, payload: payload, presigned: true)
        verifiedPresigned.remember(
            PresignedVerification(auth: auth, secret: secret, signedHeaders: signedHeaders,
                                  signedValues: signedHeaders.map { canonicalHeaderValue($0, in: head) }, contentHash: contentHash,
                                  expires: expires, expiresText: expiresText),
            for: PresignedRequest(method: head.method.rawValue, target: head.path ?? "/"))
        return auth
    }

    /// The signature of a presigned request found correctly signed before (the same method
    /// and target, the same secret for its access key now, the same values of the headers it
    /// signs), once the checks that depend on the time and on the headers it does not sign have
    /// passed; nil when no such request is remembered. The target is compared as received, so
    /// a remembered request is recognised before its query is parsed (parsing it was 3% of a
    /// small GET, issue #14).
    static func rememberedPresigned(_ head: HTTPRequest, secrets: [String: String], now: Date = Date()) throws -> SigV4Auth? {
        guard let known = verifiedPresigned.value(for: PresignedRequest(method: head.method.rawValue, target: head.path ?? "/")),
              secrets[known.auth.accessKey] == known.secret,
              known.contentHash == head.headerFields[values: fieldName("x-amz-content-sha256")].first,
              known.signedValues == known.signedHeaders.map({ canonicalHeaderValue($0, in: head) })
        else { return nil }
        // The same bytes were found signed by this secret before: only what depends on the
        // other headers and on the time is left to check.
        try checkSigned(head, signedHeaders: known.signedHeaders)
        try checkPresignedTime(requestDate: known.auth.requestDate, timestamp: known.auth.timestamp, expires: known.expires,
                               expiresText: known.expiresText, now: now)
        return known.auth
    }

    /// A presigned URL's request as received: its method and its target, whose query holds
    /// the credential, the date, the signed header names and the signature.
    struct PresignedRequest: Hashable, Sendable {
        let method: String
        let target: String
    }

    /// What a presigned request was verified against: the secret and the values of the signed
    /// headers (and `x-amz-content-sha256`) that, with the target, made up the signed bytes.
    struct PresignedVerification: Sendable {
        let auth: SigV4Auth
        let secret: String
        let signedHeaders: [String]
        let signedValues: [String?]
        let contentHash: String?
        /// `X-Amz-Expires`, as a number and as given (for the error that reports it).
        let expires: Int
        let expiresText: String
    }

    /// Presigned requests found correctly signed: a presigned URL is used again and again
    /// (a page's images, a player's ranged GETs), and canonicalising and signing it again
    /// was most of a small GET's authentication (issue #14). A hit needs the same method and
    /// target, the same secret for its access key now, and the same signed header values;
    /// the time checks run every time.
    static let verifiedPresigned = BoundedCache<PresignedRequest, PresignedVerification>(limit: 1024)

    /// Refuses a presigned request dated too far ahead, or past its expiry (or with `X-Amz-Expires=0`).
    private static func checkPresignedTime(requestDate: Date, timestamp: String, expires: Int, expiresText: String,
                                           now: Date) throws {
        if requestDate.timeIntervalSince(now) > maximumSkew {
            throw S3Error(.forbidden, "AccessDenied", "Request is not yet valid",
                          details: [("X-Amz-Date", timestamp), ("ServerTime", isoTimestamp(now))])
        }
        let end = requestDate.addingTimeInterval(TimeInterval(expires))
        if expires == 0 || now > end {
            throw S3Error(.forbidden, "AccessDenied", "Request has expired",
                          details: [("X-Amz-Expires", expiresText), ("Expires", isoTimestamp(end)), ("ServerTime", isoTimestamp(now))])
        }
    }

    // MARK: Shared checks

    /// `<key>/<yyyyMMdd>/<region>/s3/aws4_request`, checked as S3 does; `error` wraps a message.
    private static func parseCredential(_ credential: String, timestamp: String,
                                        error: (String) -> S3Error) throws -> (accessKey: String, scope: String, region: String) {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty else {
            throw error("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        let day = parts[1]
        guard day.utf8.count == 8, day.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw error("incorrect date format \"\(day)\". This date in the credential must be in the format \"yyyyMMdd\".")
        }
        guard parts[3] == "s3" else { throw error("incorrect service \"\(parts[3])\". This endpoint belongs to \"s3\".") }
        guard parts[4] == "aws4_request" else {
            throw error("incorrect terminal \"\(parts[4])\". This endpoint uses \"aws4_request\".")
        }
        let requestDay = String(timestamp.prefix(8))
        guard day == requestDay else {
            throw error("Invalid credential date \"\(day)\". This date is not the same as X-Amz-Date: \"\(requestDay)\".")
        }
        return (parts[0], parts[1...].joined(separator: "/"), parts[2])
    }

    /// Refuses a request whose signature leaves out `host` or an `x-amz-*` header it carries.
    private static func checkSigned(_ head: HTTPRequest, signedHeaders: [String]) throws {
        let signed = Set(signedHeaders)
        var missing: [String] = []
        if !signed.contains("host") { missing.append("host") }
        for field in head.headerFields {
            let name = field.name.canonicalName
            if name.hasPrefix("x-amz-"), !signed.contains(name), !missing.contains(name) { missing.append(name) }
        }
        if !missing.isEmpty {
            throw S3Error(.forbidden, "AccessDenied", "There were headers present in the request which were not signed",
                          details: [("HeadersNotSigned", missing.joined(separator: ", "))])
        }
    }

    /// The payload mode of an `x-amz-content-sha256` value, or the error S3 gives for it.
    private static func payloadMode(checking value: String) throws -> PayloadMode {
        if let mode = payloadMode(value) { return mode }
        if value.hasPrefix("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") {
            throw S3Error.notImplemented("Signature Version 4A (\(value)) is not implemented.")
        }
        throw S3Error.invalidArgument(payloadHashValues, name: "x-amz-content-sha256", value: value)
    }

    private static func noDate() -> S3Error { S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header") }

    /// A field name from a constant.
    static func fieldName(_ name: String) -> HTTPField.Name {
        HTTPField.Name(name) ?? .authorization  // never taken: the names used are valid tokens
    }
}

extension S3Error {
    /// `SignatureDoesNotMatch` with what S3 echoes: the key, the string to sign (text and
    /// bytes), the signature provided and the canonical request (text and bytes).
    static func sigV4Mismatch(accessKey: String, stringToSign: String, provided: String, canonicalRequest: String) -> S3Error {
        func bytes(_ text: String) -> String { text.utf8.map { SigV4.hex([$0]) }.joined(separator: " ") }
        return S3Error(.forbidden, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                       details: [("AWSAccessKeyId", accessKey), ("StringToSign", stringToSign), ("SignatureProvided", provided),
                                 ("StringToSignBytes", bytes(stringToSign)), ("CanonicalRequest", canonicalRequest),
                                 ("CanonicalRequestBytes", bytes(canonicalRequest))])
    }
}
