import Foundation
import FrontKit
import Testing
@testable import FileREST
@testable import ShareCore

/// Trailing dots, as Azure Files treats them: unless `x-ms-allow-trailing-dot: true`, `name.`
/// and `name` are the same item (and `x-ms-source-allow-trailing-dot` for rename and copy sources).
@Suite struct TrailingDotTests {
    @Test func trailingDotsAreDroppedUnlessAllowed() async throws {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        let share = h.store.share("docs")
        let create = ["x-ms-type": "file", "x-ms-content-length": "3"]
        #expect(try await h.send(.put, "docs/plain..", headers: create).status == 201)
        #expect(try await share.exists("plain"))
        #expect(try await share.exists("plain..") == false)
        #expect(try await h.send(.head, "docs/plain.").status == 200)
        var allowed = create
        allowed["x-ms-allow-trailing-dot"] = "true"
        #expect(try await h.send(.put, "docs/dotted.", headers: allowed).status == 201)
        #expect(try await share.exists("dotted."))
        #expect(try await h.send(.head, "docs/dotted.").status == 404)
        #expect(try await h.send(.head, "docs/dotted.", headers: ["x-ms-allow-trailing-dot": "true"]).status == 200)
        // Directories in the path too.
        #expect(try await h.send(.put, "docs/dir.?restype=directory").status == 201)
        #expect(try await share.info("dir").isDirectory)
        // A rename source follows x-ms-source-allow-trailing-dot.
        let rename = try await h.send(.put, "docs/renamed?comp=rename",
                                      headers: ["x-ms-file-rename-source": "dotted.", "x-ms-source-allow-trailing-dot": "true"])
        #expect(rename.status == 200)
        #expect(try await share.exists("renamed"))
        let withoutSource = try await h.send(.put, "docs/again?comp=rename", headers: ["x-ms-file-rename-source": "plain..."])
        #expect(withoutSource.status == 200)
        #expect(try await share.exists("again"))
        try await h.finish()
    }
}
