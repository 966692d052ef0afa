import Foundation
import Testing
@testable import S3
import ShareCore

@Suite struct ObjectKeyTests {
    /// Parses `key`, expecting S3 to refuse it with `code`; returns the error for more checks.
    @discardableResult
    private func refused(_ key: String, base: String = "", code: String = "InvalidArgument",
                         sourceLocation: SourceLocation = #_sourceLocation) -> S3Error? {
        do {
            let parsed = try ObjectKey.parse(key, base: base)
            Issue.record("key '\(key)' was accepted as path '\(parsed.path)'", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.status.code == 400, sourceLocation: sourceLocation)
            if code == "InvalidArgument" {
                #expect(error.message.contains("'\(key)'"), "message does not name the key: \(error.message)",
                        sourceLocation: sourceLocation)
                #expect(error.details.first { $0.0 == "ArgumentName" }?.1 == "key", sourceLocation: sourceLocation)
                #expect(error.details.first { $0.0 == "ArgumentValue" }?.1 == key, sourceLocation: sourceLocation)
            }
            return error
        }
    }

    // MARK: Mapping

    @Test func fileKeyInShareBucket() throws {
        let k = try ObjectKey.parse("a/b/c.txt", base: "")
        #expect(k.key == "a/b/c.txt")
        #expect(!k.isDirectory)
        #expect(k.path == "a/b/c.txt")
        #expect(k.parentPath == "a/b")
        #expect(k.name == "c.txt")
        #expect(k.intermediateDirectories == ["a", "a/b"])

        let top = try ObjectKey.parse("c.txt", base: "")
        #expect(top.path == "c.txt")
        #expect(top.parentPath == "")
        #expect(top.intermediateDirectories == [])
    }

    @Test func fileKeyInDirectoryBucket() throws {
        let k = try ObjectKey.parse("a/c.txt", base: "data/photos")
        #expect(k.path == "data/photos/a/c.txt")
        #expect(k.parentPath == "data/photos/a")
        #expect(k.name == "c.txt")
        #expect(k.intermediateDirectories == ["data/photos/a"])

        let top = try ObjectKey.parse("c.txt", base: "/data/")
        #expect(top.path == "data/c.txt")
        #expect(top.parentPath == "data")
        #expect(top.intermediateDirectories == [])
    }

    @Test func directoryKeys() throws {
        let d = try ObjectKey.parse("a/b/", base: "")
        #expect(d.isDirectory)
        #expect(d.key == "a/b/")
        #expect(d.path == "a/b")
        #expect(d.parentPath == "a")
        #expect(d.name == "b")
        #expect(d.intermediateDirectories == ["a"])

        let top = try ObjectKey.parse("d/", base: "base")
        #expect(top.isDirectory)
        #expect(top.path == "base/d")
        #expect(top.parentPath == "base")
    }

    @Test func unicodeKeysKeepTheirBytes() throws {
        // Precomposed and decomposed é are different keys and map to different paths, byte for byte.
        let composed = try ObjectKey.parse("caf\u{E9}/日本語.txt", base: "")
        let decomposed = try ObjectKey.parse("cafe\u{301}/日本語.txt", base: "")
        #expect(Array(composed.path.utf8) == Array("caf\u{E9}/日本語.txt".utf8))
        #expect(Array(decomposed.path.utf8) == Array("cafe\u{301}/日本語.txt".utf8))
        #expect(Array(decomposed.parentPath.utf8) == Array("cafe\u{301}".utf8))
        let emoji = try ObjectKey.parse("🎉 party/naïve résumé.pdf", base: "")
        #expect(emoji.name == "naïve résumé.pdf")
        // Names the engine allows although they look odd.
        for key in ["a b", "trailing.", "...", "a.b", " lead", "-", "#hash", "100%", "a+b=c&d", "x~y", "{[()]}"] {
            #expect(try ObjectKey.parse(key, base: "").path == key)
        }
    }

    // MARK: Length

    @Test func keyOf1024BytesIsAcceptedAnd1025Refused() throws {
        // 4 segments of 80 "€" (3 bytes each) = 960 bytes, 3 slashes, then ASCII to the limit:
        // far fewer than 1,024 characters, but 1,024 bytes.
        let segment = String(repeating: "€", count: 80)
        let stem = [segment, segment, segment, segment].joined(separator: "/")
        #expect(stem.utf8.count == 963)
        let exact = stem + String(repeating: "a", count: 61)
        #expect(exact.utf8.count == 1024)
        #expect(exact.count < 1024)
        #expect(try ObjectKey.parse(exact, base: "").path == exact)

        let over = exact + "a"
        let error = refused(over, code: "KeyTooLongError")
        #expect(error?.details.first { $0.0 == "Size" }?.1 == "1025")
        #expect(error?.details.first { $0.0 == "MaxSizeAllowed" }?.1 == "1024")

        // Multi-byte characters only: a directory key of 4 segments of 85 "€" (1,020 bytes) and
        // 4 slashes is exactly 1,024 bytes; one more "€" makes 1,027.
        let dirKey = Array(repeating: String(repeating: "€", count: 85), count: 4).joined(separator: "/") + "/"
        #expect(dirKey.utf8.count == 1024)
        #expect(try ObjectKey.parse(dirKey, base: "").isDirectory)
        refused("€" + dirKey, code: "KeyTooLongError")
    }

    @Test func pathLimitsOfTheShareApply() throws {
        // 251 levels fit in 1,024 bytes but a share nests at most 250 deep.
        let deep = Array(repeating: "a", count: 251).joined(separator: "/")
        refused(deep)
        let deepest = Array(repeating: "a", count: 250).joined(separator: "/")
        #expect(try ObjectKey.parse(deepest, base: "").path == deepest)
        // One level fewer than the limit, but the base adds one.
        refused(deepest, base: "base")
        // A long base makes a path over 2,048 characters.
        let longBase = Array(repeating: String(repeating: "b", count: 250), count: 5).joined(separator: "/")
        let key = Array(repeating: String(repeating: "k", count: 200), count: 4).joined(separator: "/")
        #expect(try ObjectKey.parse(key, base: "").path == key)
        refused(key, base: longBase)
        // A segment over 255 characters.
        refused(String(repeating: "n", count: 256))
        #expect(try ObjectKey.parse(String(repeating: "n", count: 255), base: "").name.count == 255)
    }

    // MARK: Refused shapes

    @Test func malformedKeysAreInvalidArguments() throws {
        refused("")
        refused("/")
        refused("/a")
        refused("//a")
        refused("a//b")
        refused("a//")
        refused("a/b//")
        let dots = refused("a/../b")
        #expect(dots?.message == "Object key 'a/../b' is not valid: '..' segments are not allowed")
        refused("..")
        refused("../a")
        refused("a/..")
        refused("a/../")
        refused(".")
        refused("./a")
        refused("a/./b")
        refused("a/.")
        refused("./")
        let single = refused("a/./b")
        #expect(single?.message.contains("'.' segments are not allowed") == true)
    }

    @Test func namesTheEngineRefusesAreRefused() async throws {
        let refusedSegments = ["a\"b", "a\\b", "a:b", "a|b", "a<b", "a>b", "a*b", "a?b",
                               "tab\there", "nul\u{0}byte", "bell\u{7}", "del\u{7F}", "line\nbreak", "\u{1F}",
                               "CON", "con", "Nul", "com1", "LPT9", "clock$", "aux"]
        let path = NSTemporaryDirectory() + "s3-objectkey-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        try await store.createShare("keys")
        let share = store.share("keys")
        try await share.createDirectory("dir")
        for segment in refusedSegments {
            for key in [segment, "dir/" + segment, segment + "/", "dir/" + segment + "/x"] {
                let error = refused(key)
                #expect(error?.message.contains("is not valid") == true)
            }
            // The engine refuses the same name: the front refuses exactly what it could not store.
            do {
                try await share.createFile("dir/" + segment)
                Issue.record("the engine accepted '\(segment)'")
            } catch let error as ShareCoreError {
                #expect(error.code == .invalidName)
            }
        }
        // And what the front accepts, the engine stores under the mapped path.
        for key in ["naïve résumé.pdf", "dir/日本語.txt", "dir/trailing.", "dir/...", "dir/a b/c", "dir/COM0", "dir/CONsole"] {
            let k = try ObjectKey.parse(key, base: "")
            for directory in k.intermediateDirectories where !(try await share.exists(directory)) {
                try await share.createDirectory(directory)
            }
            let info = try await share.createFile(k.path)
            #expect(info.name == k.name)
            #expect(try await share.info(k.path).id == info.id)
        }
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func errorDetailsNameTheKey() throws {
        let error = refused("x/a:b")
        #expect(error?.message.hasPrefix("Object key 'x/a:b' is not valid: ") == true)
        #expect(error?.message.contains(":") == true)
        #expect(error?.details.count == 2)
    }
}
