import Testing
@testable import FileREST

/// Which `x-ms-version` values a request may carry: a `YYYY-MM-DD` date between the oldest and
/// the newest version served.
@Suite struct FileRESTVersionTests {
    @Test func acceptsDatesWithinTheRange() {
        #expect(FileRESTService.accepts(FileRESTService.oldestVersion))
        #expect(FileRESTService.accepts(FileRESTService.newestVersion))
        #expect(FileRESTService.accepts("2025-05-05"))
    }

    @Test func refusesDatesOutsideTheRange() {
        #expect(!FileRESTService.accepts("2019-02-01"))
        #expect(!FileRESTService.accepts("2099-01-01"))
    }

    @Test func refusesWhatIsNotADate() {
        for text in ["", "2025-05-0", "2025-05-055", "2025/05/05", "2025-0505-", "2025-1a-05", "2025--5-05",
                     "２０２５-05-05", "2025-05-05 ", " 2025-05-05"] {
            #expect(!FileRESTService.accepts(text), "\(text)")
        }
    }
}

/// Which hosts name the account (`account.file.…`, as on Azure) instead of the path's first segment.
@Suite struct FileRESTHostStyleTests {
    @Test func aFileHostNamesTheAccount() {
        #expect(FileRequest.hostStyleAccount("devstoreaccount1.file.core.windows.net") == "devstoreaccount1")
        #expect(FileRequest.hostStyleAccount("MyAccount.FILE.localhost:10004") == "myaccount")
        #expect(FileRequest.hostStyleAccount("a.file.") == "a")
    }

    @Test func otherHostsDoNot() {
        for host in ["", "127.0.0.1:10004", "localhost", "localhost:10004", "[::1]:10004", "account.blob.core.windows.net",
                     "account.file", "account:10004.file.x", "account.files.x", "a.b.file.x"] {
            #expect(FileRequest.hostStyleAccount(host) == nil, "\(host)")
        }
    }
}

/// The item a path names: trailing dots of each name dropped unless the request allows them.
@Suite struct FileRESTItemPathTests {
    @Test func trailingDotsAreDroppedUnlessAllowed() {
        #expect(FileRequest.itemPath([], allowTrailingDot: false) == "")
        #expect(FileRequest.itemPath(["data.bin"], allowTrailingDot: false) == "data.bin")
        #expect(FileRequest.itemPath(["a", "b", "c.txt"], allowTrailingDot: false) == "a/b/c.txt")
        #expect(FileRequest.itemPath(["a.", "b..", "c"], allowTrailingDot: false) == "a/b/c")
        #expect(FileRequest.itemPath(["name."], allowTrailingDot: false) == "name")
        #expect(FileRequest.itemPath(["..", "x."], allowTrailingDot: false) == "../x")
        #expect(FileRequest.itemPath(["a.", "b.."], allowTrailingDot: true) == "a./b..")
        #expect(FileRequest.itemPath(["name."], allowTrailingDot: true) == "name.")
    }
}
