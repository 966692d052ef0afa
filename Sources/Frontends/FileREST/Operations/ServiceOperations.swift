import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Account-level operations: List Shares, Get/Set File Service Properties, and the CORS
/// preflight request.
enum ServiceOperations {
    /// List Shares: `GET ?comp=list` with `prefix`, `marker`, `maxresults` and
    /// `include=snapshots,metadata[,deleted]` (deleted shares are never kept, so `deleted`
    /// adds nothing).
    static func listShares(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let prefix = request.query("prefix")
        let marker = request.query("marker").flatMap { $0.isEmpty ? nil : $0 }
        let maxResults = try maxResults(request.query("maxresults"))
        let include = try includes(request.query("include"))
        let query = ShareListing(store: context.store, prefix: prefix ?? "", limit: min(maxResults ?? 5000, 5000),
                                 snapshots: include.contains("snapshots"), metadata: include.contains("metadata"))
        let page = try await query.page(from: marker)
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("EnumerationResults", ["ServiceEndpoint": context.serviceEndpoint])
        if let prefix { xml.element("Prefix", prefix) }
        if let marker = request.query("marker") { xml.element("Marker", marker) }
        if let maxResults { xml.element("MaxResults", String(maxResults)) }
        if page.entries.isEmpty {
            xml.empty("Shares")
        } else {
            xml.open("Shares")
            let now = FileTime.now()
            for share in page.entries {
                writeShare(share, includeMetadata: include.contains("metadata"), now: now, to: &xml)
            }
            xml.close("Shares")
        }
        if let next = page.next { xml.element("NextMarker", next) } else { xml.empty("NextMarker") }
        xml.close("EnumerationResults")
        return context.xml(.ok, xml)
    }

    /// `maxresults`: a positive integer; larger than 5,000 lists 5,000.
    static func maxResults(_ raw: String?) throws -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw) else { throw FileRESTError.invalidQuery("maxresults", raw) }
        guard value >= 1 else { throw FileRESTError.outOfRangeQuery("maxresults", raw) }
        return value
    }

    /// The datasets of `include` (lowercased), refusing unknown ones.
    static func includes(_ raw: String?) throws -> Set<String> {
        guard let raw, !raw.isEmpty else { return [] }
        var out = Set<String>()
        for item in raw.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard ["snapshots", "metadata", "deleted"].contains(name) else { throw FileRESTError.invalidQuery("include", raw) }
            out.insert(name)
        }
        return out
    }

    /// One `<Share>` entry: name, snapshot, properties (in the service's order) and metadata.
    static func writeShare(_ share: ShareInfo, includeMetadata: Bool, now: FileTime, to xml: inout XMLWriter) {
        xml.open("Share")
        xml.element("Name", share.name)
        if let snapshot = share.snapshot { xml.element("Snapshot", snapshot) }
        xml.open("Properties")
        xml.element("Last-Modified", Headers.httpDate(share.lastModified))
        xml.element("Etag", Headers.etag(share.etag))
        let lease = LeaseOperations.status(share.snapshot == nil ? share.lease : nil, now: now)
        xml.element("LeaseStatus", lease.status)
        xml.element("LeaseState", lease.state)
        if let duration = lease.duration { xml.element("LeaseDuration", duration) }
        xml.element("Quota", String(share.quotaGiB))
        let protocols = ShareOperations.enabledProtocols(share)
        xml.element("EnabledProtocols", protocols)
        if let squash = ShareOperations.rootSquash(share) { xml.element("RootSquash", squash) }
        xml.element("AccessTier", ShareOperations.accessTier(share))
        xml.element("AccessTierChangeTime", Headers.httpDate(share.accessTierChangeTime ?? share.created))
        xml.close("Properties")
        if includeMetadata {
            if share.metadata.isEmpty {
                xml.empty("Metadata")
            } else {
                xml.open("Metadata")
                for (name, value) in share.metadata { xml.element(name, value) }
                xml.close("Metadata")
            }
        }
        xml.close("Share")
    }

    /// Get File Service Properties: the stored settings, or the defaults when never set.
    static func getServiceProperties(_ context: OperationContext) async throws -> FrontResponse {
        let properties = try await ServiceProperties.load(context.store)
        if context.request.method == .head { return context.response(.ok) }
        return context.xml(.ok, properties.document())
    }

    /// Set File Service Properties: validates the whole document first, so a bad one changes
    /// nothing, then stores it (202 Accepted).
    static func setServiceProperties(_ context: OperationContext) async throws -> FrontResponse {
        let body = try await context.smallBody()
        var properties = try await ServiceProperties.load(context.store)
        try properties.apply(body)
        try await properties.save(context.store)
        return context.response(.accepted)
    }

    /// Preflight File Request: `OPTIONS` with `Origin` and `Access-Control-Request-Method`
    /// (and optionally `Access-Control-Request-Headers`), answered from the stored CORS rules.
    static func preflight(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        guard let origin = request.header("Origin") else { throw missingCorsHeader("Origin") }
        guard let method = request.header("Access-Control-Request-Method") else {
            throw missingCorsHeader("Access-Control-Request-Method")
        }
        let requestHeaders = request.header("Access-Control-Request-Headers")
        let rules = try await ServiceProperties.load(context.store).cors
        guard let rule = Cors.preflightRule(rules, origin: origin, method: method, requestHeaders: requestHeaders) else {
            throw FileRESTError(.forbidden, "CorsPreflightFailure", "CORS not enabled or no matching rule found for this request.")
        }
        var fields = HTTPFields()
        fields.set("Access-Control-Allow-Origin", origin)
        fields.set("Access-Control-Allow-Methods", method)
        if let requestHeaders { fields.set("Access-Control-Allow-Headers", requestHeaders) }
        fields.set("Access-Control-Max-Age", String(rule.maxAgeInSeconds))
        fields.set("Access-Control-Allow-Credentials", "true")
        return context.response(.ok, fields)
    }

    static func missingCorsHeader(_ name: String) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidHeaderValue", "A required CORS header is not present.",
                      details: [("HeaderName", name), ("HeaderValue", "")])
    }
}

/// One page of List Shares in which every entry, a share or one of its snapshots, counts
/// against `maxresults`, as in Azure. The engine pages by share (a share and its snapshots, which
/// precede it, come on the same page), so a page that would end inside that group is cut there and
/// its marker says how many of that share's entries were already returned: the engine marker
/// that resumes at that share, `~`, and the count (`~` alone when it is the first share).
/// Markers of pages cut between shares are the engine's own.
struct ShareListing {
    let store: ShareStore
    let prefix: String
    let limit: Int
    let snapshots: Bool
    let metadata: Bool

    func page(from marker: String?) async throws -> (entries: [ShareInfo], next: String?) {
        let (engineMarker, skip) = try Self.decode(marker)
        let page = try await list(engineMarker, limit)
        var entries = page.shares
        entries.removeFirst(min(skip, entries.count))
        guard entries.count > limit else { return (entries, page.nextMarker) }
        let kept = Array(entries.prefix(limit))
        let cut = entries[limit].name
        let sharesBefore = Self.groups(page.shares).prefix { $0 != cut }.count
        var returned = kept.filter { $0.name == cut }.count
        let resume: String?
        if sharesBefore == 0 {
            returned += skip
            resume = engineMarker
        } else {
            resume = try await list(engineMarker, sharesBefore).nextMarker
        }
        if returned == 0, let resume { return (kept, resume) }
        return (kept, (resume ?? "") + "~" + String(returned))
    }

    func list(_ marker: String?, _ count: Int) async throws -> SharePage {
        do {
            return try await store.listShares(prefix: prefix, marker: marker, maxResults: count,
                                              includeSnapshots: snapshots, includeMetadata: metadata)
        } catch let error as ShareCoreError where error.code == .invalidArgument {
            throw FileRESTError.invalidQuery("marker", marker)
        }
    }

    /// The names of the shares on a page, in order, once each.
    static func groups(_ entries: [ShareInfo]) -> [String] {
        var names: [String] = []
        for entry in entries where names.last != entry.name { names.append(entry.name) }
        return names
    }

    /// Splits a marker into the engine's marker and the entries of its first share to skip.
    static func decode(_ marker: String?) throws -> (String?, Int) {
        guard let marker else { return (nil, 0) }
        guard let tilde = marker.lastIndex(of: "~") else { return (marker, 0) }
        let engine = String(marker[..<tilde])
        guard let skip = Int(marker[marker.index(after: tilde)...]), skip > 0 else {
            throw FileRESTError.invalidQuery("marker", marker)
        }
        return (engine.isEmpty ? nil : engine, skip)
    }
}
