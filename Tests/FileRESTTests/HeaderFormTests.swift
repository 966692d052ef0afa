import Testing
@testable import FileREST
@testable import ShareCore

/// The forms Azure Files writes properties in.
@Suite struct FileRESTHeaderFormTests {
    @Test func attributesAsAzureWritesThem() {
        #expect(Headers.format([]) == "None")
        #expect(Headers.format(.archive) == "Archive")
        #expect(Headers.format(.directory) == "Directory")
        #expect(Headers.format([.readOnly, .archive]) == "ReadOnly | Archive")
        #expect(Headers.format([.directory, .hidden]) == "Hidden | Directory")
        #expect(Headers.format([.notContentIndexed, .temporary, .system]) == "System | Temporary | NotContentIndexed")
    }
}
