import FrontKit
import ShareCore

/// One rule of a bucket's CORS configuration (`<CORSRule>` of PutBucketCors).
struct CorsRule: Sendable, Equatable {
    /// `ID`: a name for the rule (at most 255 characters).
    var id: String?
    /// `AllowedOrigin`: origins, each with at most one `*` (which matches any run of characters).
    var allowedOrigins: [String] = []
    /// `AllowedMethod`: `GET`, `PUT`, `HEAD`, `POST` or `DELETE`.
    var allowedMethods: [String] = []
    /// `AllowedHeader`: header names a preflight may ask for, each with at most one `*`.
    var allowedHeaders: [String] = []
    /// `ExposeHeader`: response headers a page's script may read.
    var exposeHeaders: [String] = []
    /// `MaxAgeSeconds`: how long a browser may cache the preflight answer.
    var maxAgeSeconds: Int?
}

/// A bucket's CORS configuration, as PutBucketCors sets it and GetBucketCors returns it.
///
/// It is the S3 front's own record (table `s3.cors`, keyed by bucket name, owned by the
/// bucket's share, so deleting the share deletes it): format byte 1 followed by the
/// configuration as GetBucketCors renders it.
struct CorsConfiguration: Sendable, Equatable {
    /// The rules, in the order S3 evaluates them (the first that matches wins).
    var rules: [CorsRule]

    /// The record table holding configurations.
    static let table = RecordTable("s3.cors")
    /// At most this many rules.
    static let maxRules = 100
    /// A configuration document is at most 64 KB.
    static let maxDocumentBytes = 64 * 1024
    /// The methods a rule may allow.
    static let methods: Set<String> = ["GET", "PUT", "HEAD", "POST", "DELETE"]

    // MARK: The document

    /// Parses and checks a PutBucketCors body, with S3's errors: a document that does not
    /// follow the schema (no rule, more than 100, a rule without `AllowedOrigin` or
    /// `AllowedMethod`, an unknown element, a `MaxAgeSeconds` that is not a whole number) is
    /// `MalformedXML`; a method S3 does not know, or an origin or allowed header with more than
    /// one `*`, or an expose header with any, is `InvalidRequest`; an `ID` over 255 characters
    /// is `InvalidArgument`.
    static func parse(_ bytes: [UInt8]) throws(S3Error) -> CorsConfiguration {
        guard let root = FrontKit.XMLElement.parse(bytes), root.name == "CORSConfiguration" else { throw S3Error.malformedXML() }
        let ruleElements = root.children
        guard !ruleElements.isEmpty, ruleElements.count <= maxRules else { throw S3Error.malformedXML() }
        var rules: [CorsRule] = []
        // Structure first, for every rule; then the values.
        for element in ruleElements {
            guard element.name == "CORSRule" else { throw S3Error.malformedXML() }
            var rule = CorsRule()
            for item in element.children {
                guard item.children.isEmpty else { throw S3Error.malformedXML() }
                let text = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
                switch item.name {
                case "AllowedOrigin": rule.allowedOrigins.append(text)
                case "AllowedMethod": rule.allowedMethods.append(text)
                case "AllowedHeader": rule.allowedHeaders.append(text)
                case "ExposeHeader": rule.exposeHeaders.append(text)
                case "ID":
                    guard rule.id == nil else { throw S3Error.malformedXML() }
                    rule.id = text
                case "MaxAgeSeconds":
                    guard rule.maxAgeSeconds == nil, let seconds = Int(text), seconds >= 0, seconds <= Int(Int32.max) else {
                        throw S3Error.malformedXML()
                    }
                    rule.maxAgeSeconds = seconds
                default:
                    throw S3Error.malformedXML()
                }
            }
            guard !rule.allowedOrigins.isEmpty, !rule.allowedMethods.isEmpty else { throw S3Error.malformedXML() }
            rules.append(rule)
        }
        for rule in rules {
            for method in rule.allowedMethods where !methods.contains(method) {
                throw S3Error.invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is \(method)")
            }
            for origin in rule.allowedOrigins where wildcards(origin) > 1 {
                throw S3Error.invalidRequest("AllowedOrigin \"\(origin)\" can not have more than one wildcard.")
            }
            for header in rule.allowedHeaders where wildcards(header) > 1 {
                throw S3Error.invalidRequest("AllowedHeader \"\(header)\" can not have more than one wildcard.")
            }
            for header in rule.exposeHeaders where wildcards(header) > 0 {
                throw S3Error.invalidRequest("ExposeHeader \"\(header)\" contains wildcard. We currently do not support wildcard for ExposeHeader.")
            }
            if let id = rule.id, id.count > 255 {
                throw S3Error.invalidArgument("The ID of a CORS rule can not be longer than 255 characters.", name: "ID", value: id)
            }
        }
        return CorsConfiguration(rules: rules)
    }

    private static func wildcards(_ text: String) -> Int { text.utf8.reduce(0) { $0 + ($1 == 0x2A ? 1 : 0) } }

    /// The document GetBucketCors answers.
    var document: XMLWriter {
        var xml = XMLWriter()
        xml.open("CORSConfiguration", ["xmlns": S3XML.namespace])
        for rule in rules {
            xml.open("CORSRule")
            if let id = rule.id { xml.element("ID", id) }
            for value in rule.allowedHeaders { xml.element("AllowedHeader", value) }
            for value in rule.allowedMethods { xml.element("AllowedMethod", value) }
            for value in rule.allowedOrigins { xml.element("AllowedOrigin", value) }
            for value in rule.exposeHeaders { xml.element("ExposeHeader", value) }
            if let seconds = rule.maxAgeSeconds { xml.element("MaxAgeSeconds", String(seconds)) }
            xml.close("CORSRule")
        }
        xml.close("CORSConfiguration")
        return xml
    }

    // MARK: The record

    /// The stored form: format 1 · the document.
    func encode() -> [UInt8] { [1] + document.bytes }

    /// Decodes a stored configuration.
    init(stored bytes: [UInt8]) throws(ShareCoreError) {
        guard bytes.first == 1, let parsed = try? CorsConfiguration.parse(Array(bytes.dropFirst())) else {
            throw ShareCoreError(.dataCorrupted, "a stored CORS configuration is malformed")
        }
        self = parsed
    }

    init(rules: [CorsRule]) { self.rules = rules }

    /// Checks a stored configuration for `sharecore check`: a bucket name and a document that parses.
    static let verifier: RecordVerifier = { key, value in
        try ShareStore.validateBucketName(String(decoding: key, as: UTF8.self))
        _ = try CorsConfiguration(stored: value)
    }
}

extension ShareStore {
    /// The CORS configuration of bucket `name`, or nil when it has none.
    func corsConfiguration(_ name: String) throws -> CorsConfiguration? {
        try readRecords { records in
            try records.get(CorsConfiguration.table, Array(name.utf8)).map { try CorsConfiguration(stored: $0) }
        }
    }

    /// Sets (`configuration`) or deletes (nil) the CORS configuration of bucket `name`, whose
    /// files live in share `share` (the record's owner).
    func setCorsConfiguration(_ configuration: CorsConfiguration?, bucket name: String, share: String) async throws {
        let key = Array(name.utf8)
        try await writeRecords { records in
            if let configuration {
                try records.put(CorsConfiguration.table, key, configuration.encode(), owner: share)
            } else {
                try records.delete(CorsConfiguration.table, key)
            }
        }
    }
}

extension S3Service {
    /// The checks of the S3 front's CORS records (table `s3.cors`), for `sharecore check`.
    public static var corsRecordVerifiers: [RecordTable: RecordVerifier] {
        [CorsConfiguration.table: CorsConfiguration.verifier]
    }
}
