import Foundation
import FrontKit
import Testing
@testable import S3
@testable import ShareCore

/// Bucket lifecycle configurations: S3's validation of the XML, when rules act, and the
/// background task that applies them (driven by an injected clock).
@Suite struct LifecycleTests {
    static let day: Int64 = 86_400

    func parse(_ rules: String) throws -> LifecycleConfiguration {
        let xml = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(rules)</LifecycleConfiguration>"
        guard let root = FrontKit.XMLElement.parse(Array(xml.utf8)) else { throw S3Error.malformedXML() }
        return try LifecycleXML.parse(root)
    }

    func code(_ rules: String) -> String? {
        do {
            _ = try parse(rules)
            return nil
        } catch let error as S3Error {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    static func time(_ iso: String) -> FileTime { FileTime(iso8601: iso)! }

    // MARK: XML

    @Test func validConfigurationsRoundTripInTheFormGiven() throws {
        let configuration = try parse("""
            <Rule><ID>legacy</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>
            <Rule><ID>filtered</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Disabled</Status>
              <Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>
            <Rule><ID>uploads</ID><Filter/><Status>Enabled</Status>
              <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
            <Rule><ID>sized</ID><Filter><And><Prefix>big/</Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>
              <ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
            """)
        #expect(configuration.rules.map(\.id) == ["legacy", "filtered", "uploads", "sized"])
        #expect(configuration.rules[0].filter.form == .legacyPrefix && configuration.rules[0].expirationDays == 3)
        #expect(configuration.rules[1].expirationDate == LifecycleClock.seconds(Self.time("2030-01-01T00:00:00Z")))
        #expect(!configuration.rules[1].enabled && configuration.rules[2].abortDays == 2)
        #expect(configuration.rules[3].filter.sizeGreaterThan == 10 && configuration.rules[3].filter.sizeLessThan == 100)
        let rendered = LifecycleXML.render(configuration)
        let again = try LifecycleXML.parse(try #require(FrontKit.XMLElement.parse(rendered.bytes)))
        #expect(again == configuration)
        let text = String(decoding: rendered.bytes, as: UTF8.self)
        #expect(text.contains("<Prefix>logs/</Prefix><Status>"))
        #expect(text.contains("<Date>2030-01-01T00:00:00.000Z</Date>"))
    }

    @Test func aRuleWithoutAnIdGetsOne() throws {
        let configuration = try parse("<Rule><Prefix>a</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")
        #expect(configuration.rules[0].id.count == 48)
    }

    @Test func s3sValidationErrors() {
        let expire = "<Expiration><Days>1</Days></Expiration>"
        #expect(code("") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>enabled</Status>\(expire)</Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Status>Enabled</Status>\(expire)</Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Filter/><Status>Enabled</Status>\(expire)</Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Filter><Prefix/><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter><Status>Enabled</Status>\(expire)</Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Days>x</Days></Expiration></Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Bogus/>\(expire)</Rule>") == "MalformedXML")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status>\(expire)</Rule><Rule><ID>a</ID><Prefix/><Status>Enabled</Status>\(expire)</Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>\(String(repeating: "i", count: 256))</ID><Prefix/><Status>Enabled</Status>\(expire)</Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status></Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>\(expire)</Rule>") == "InvalidArgument")
        #expect(code("<Rule><ID>a</ID><Filter><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>") == "InvalidRequest")
        // What this server cannot do is refused, never stored and ignored.
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>") == "NotImplemented")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>") == "NotImplemented")
        #expect(code("<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>") == "NotImplemented")
        #expect(code("<Rule><ID>a</ID><Filter><Tag><Key>aws:k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>\(expire)</Rule>") == "InvalidTag")
        #expect(code("<Rule><ID>a</ID><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k</Key><Value>w</Value></Tag></And></Filter><Status>Enabled</Status>\(expire)</Rule>") == "InvalidArgument")
    }

    // MARK: Evaluation

    @Test func objectsExpireAtTheMidnightAfterTheirAge() throws {
        let configuration = try parse("""
            <Rule><ID>three</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>
            <Rule><ID>one</ID><Filter><Prefix>logs/tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
            <Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
            <Rule><ID>fixed</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2014-02-01T00:00:00Z</Date></Expiration></Rule>
            <Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>10</Days></Expiration></Rule>
            """)
        // S3's own example: created 2014-01-15 10:30 UTC, 3 days: expires 2014-01-19 00:00 UTC.
        let created = Self.time("2014-01-15T10:30:00Z")
        let due = configuration.expiration(key: "logs/a", size: 1, lastModified: created)
        #expect(due?.seconds == LifecycleClock.seconds(Self.time("2014-01-19T00:00:00Z")) && due?.rule == "three")
        // The earliest of the matching rules wins.
        #expect(configuration.expiration(key: "logs/tmp/a", size: 1, lastModified: created)?.rule == "one")
        #expect(configuration.expiration(key: "old/x", size: 1, lastModified: created)?.seconds
                == LifecycleClock.seconds(Self.time("2014-02-01T00:00:00Z")))
        // Disabled rules and non-matching prefixes and sizes do nothing.
        #expect(configuration.expiration(key: "other", size: 100, lastModified: created) == nil)
        #expect(configuration.expiration(key: "other", size: 101, lastModified: created)?.rule == "big")
        #expect(configuration.expiration(key: "Logs/a", size: 1, lastModified: created) == nil)
    }

    @Test func tagFiltersNeedEveryTag() throws {
        let configuration = try parse("""
            <Rule><ID>tagged</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag>
              <Tag><Key>b</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
            """)
        let created = Self.time("2014-01-15T10:30:00Z")
        #expect(configuration.expiration(key: "p/x", size: 1, lastModified: created, tags: ["a": "1", "b": "2", "c": "3"])?.rule == "tagged")
        #expect(configuration.expiration(key: "p/x", size: 1, lastModified: created, tags: ["a": "1", "b": "3"]) == nil)
        #expect(configuration.expiration(key: "q/x", size: 1, lastModified: created, tags: ["a": "1", "b": "2"]) == nil)
        let rendered = LifecycleXML.render(configuration)
        #expect(try LifecycleXML.parse(try #require(FrontKit.XMLElement.parse(rendered.bytes))) == configuration)
    }

    @Test func uploadsAreAbortedAtTheMidnightAfterTheirDays() throws {
        let configuration = try parse("""
            <Rule><ID>mpu</ID><Prefix>in/</Prefix><Status>Enabled</Status>
              <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
            """)
        let date = configuration.abortDate(key: "in/a", initiated: Self.time("2020-03-01T23:59:59Z"))
        #expect(date?.seconds == LifecycleClock.seconds(Self.time("2020-03-04T00:00:00Z")) && date?.rule == "mpu")
        #expect(configuration.abortDate(key: "out/a", initiated: Self.time("2020-03-01T00:00:00Z")) == nil)
        #expect(configuration.expiration(key: "in/a", size: 1, lastModified: Self.time("2020-03-01T00:00:00Z")) == nil)
    }

    // MARK: Through the front

    static let rules = """
        <LifecycleConfiguration><Rule><ID>tmp-rule</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>
        <Expiration><Days>1</Days></Expiration></Rule>
        <Rule><ID>mpu</ID><Prefix>up/</Prefix><Status>Enabled</Status>
        <AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>
        """

    @Test func configurationsArePutReadAndDeleted() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let missing = try await h.send(.get, "/bkt?lifecycle")
        #expect(missing.status == 404 && missing.code == "NoSuchLifecycleConfiguration")
        #expect(try await h.send(.delete, "/bkt?lifecycle").status == 204)
        #expect(try await h.send(.put, "/bkt?lifecycle", body: Array(Self.rules.utf8)).status == 200)
        let read = try await h.send(.get, "/bkt?lifecycle")
        #expect(read.status == 200 && read.text.contains("<ID>tmp-rule</ID>") && read.text.contains("<Prefix>up/</Prefix>"))
        // A refused configuration changes nothing.
        let bad = try await h.send(.put, "/bkt?lifecycle", body: Array("<LifecycleConfiguration/>".utf8))
        #expect(bad.status == 400 && bad.code == "MalformedXML")
        #expect(try await h.send(.get, "/bkt?lifecycle").body == read.body)
        #expect(try await h.send(.put, "/none?lifecycle", body: Array(Self.rules.utf8)).code == "NoSuchBucket")
        // x-amz-expiration names the rule and the midnight UTC after the object's age.
        let put = try await h.send(.put, "/bkt/tmp/a", body: [1])
        let header = try #require(put.header("x-amz-expiration"))
        #expect(header.hasSuffix("00:00:00 GMT\", rule-id=\"tmp-rule\"") && header.hasPrefix("expiry-date=\""))
        #expect(try await h.send(.head, "/bkt/tmp/a").header("x-amz-expiration") == header)
        #expect(try await h.send(.put, "/bkt/keep/a", body: [1]).header("x-amz-expiration") == nil)
        let created = try await h.send(.post, "/bkt/up/x?uploads")
        #expect(created.header("x-amz-abort-rule-id") == "mpu" && created.header("x-amz-abort-date") != nil)
        #expect(try await h.send(.delete, "/bkt?lifecycle").status == 204)
        #expect(try await h.send(.get, "/bkt?lifecycle").status == 404)
        #expect(try await h.send(.head, "/bkt/tmp/a").header("x-amz-expiration") == nil)
        try await h.finish()
    }

    // MARK: The background task

    /// A clock `days` ahead of the system's.
    static func clock(daysAhead days: Int64) -> @Sendable () -> FileTime {
        { FileTime(ticks: FileTime.now().ticks + days * day * 10_000_000) }
    }

    /// Ticks until no sweep is under way.
    func settle(_ worker: S3LifecycleWorker) async -> LifecycleTick {
        var total = LifecycleTick()
        for _ in 0..<1000 {
            let tick = await worker.tick()
            total.expired += tick.expired
            total.aborted += tick.aborted
            if !tick.pending { break }
        }
        return total
    }

    @Test func theTaskExpiresWhatIsDueAndAbortsOldUploads() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        for key in ["tmp/a", "tmp/deep/b", "tmp/c", "keep/a", "tmpfile"] {
            #expect(try await h.send(.put, "/bkt/" + key, body: [1, 2]).status == 200)
        }
        _ = try await h.send(.put, "/other")
        _ = try await h.send(.put, "/other/tmp/a", body: [1])
        let upload = try #require(FrontKit.XMLElement.parse(try await h.send(.post, "/bkt/up/x?uploads").body)?.value("UploadId"))
        let young = try #require(FrontKit.XMLElement.parse(try await h.send(.post, "/bkt/elsewhere?uploads").body)?.value("UploadId"))
        #expect(try await h.send(.put, "/bkt?lifecycle", body: Array(Self.rules.utf8)).status == 200)

        // Today nothing is due.
        let today = await settle(S3LifecycleWorker(store: h.store, budget: 2))
        #expect(today == LifecycleTick())
        #expect(try await h.send(.head, "/bkt/tmp/a").status == 200)

        // Three days on, the rule's objects and upload are gone, in small bounded steps.
        let worker = S3LifecycleWorker(store: h.store, clock: Self.clock(daysAhead: 3), budget: 2)
        let later = await settle(worker)
        #expect(later.expired == 3 && later.aborted == 1)
        for key in ["tmp/a", "tmp/deep/b", "tmp/c"] { #expect(try await h.send(.head, "/bkt/" + key).status == 404) }
        for key in ["keep/a", "tmpfile"] { #expect(try await h.send(.head, "/bkt/" + key).status == 200) }
        #expect(try await h.send(.head, "/other/tmp/a").status == 200, "another bucket's objects are not its rules'")
        #expect(try await h.send(.get, "/bkt/up/x?uploadId=\(upload)").code == "NoSuchUpload")
        #expect(try await h.send(.get, "/bkt/elsewhere?uploadId=\(young)").status == 200)
        // The directory the expired objects left empty is gone too, as in S3.
        #expect(try await h.store.share("bkt").exists("tmp") == false)
        // Swept for the day: nothing more until the rules change or the day does.
        #expect(await worker.tick() == LifecycleTick())
        try await h.finish()
    }

    @Test func anObjectWrittenDuringASweepStays() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        for key in ["tmp/1", "tmp/2", "tmp/3", "tmp/4"] { _ = try await h.send(.put, "/bkt/" + key, body: [1]) }
        _ = try await h.send(.put, "/bkt?lifecycle", body: Array(Self.rules.utf8))
        let worker = S3LifecycleWorker(store: h.store, clock: Self.clock(daysAhead: 3), budget: 2)
        let first = await worker.tick()
        #expect(first.expired == 2 && first.pending)
        // Rewritten after the sweep began: not the object the rule saw the age of.
        _ = try await h.send(.put, "/bkt/tmp/4", body: [9])
        let rest = await settle(worker)
        #expect(rest.expired == 1)
        #expect(try await h.send(.get, "/bkt/tmp/4").body == [9])
        #expect(try await h.send(.head, "/bkt/tmp/3").status == 404)
        try await h.finish()
    }

    @Test func aChangedConfigurationIsSweptAgainTheSameDay() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        _ = try await h.send(.put, "/bkt/logs/a", body: [1])
        _ = try await h.send(.put, "/bkt?lifecycle", body: Array(Self.rules.utf8))
        let worker = S3LifecycleWorker(store: h.store, clock: Self.clock(daysAhead: 3))
        #expect(await settle(worker).expired == 0)
        let logs = Self.rules.replacingOccurrences(of: "<Prefix>tmp/</Prefix>", with: "<Prefix>logs/</Prefix>")
        _ = try await h.send(.put, "/bkt?lifecycle", body: Array(logs.utf8))
        #expect(await settle(worker).expired == 1)
        #expect(try await h.send(.head, "/bkt/logs/a").status == 404)
        try await h.finish()
    }
}
