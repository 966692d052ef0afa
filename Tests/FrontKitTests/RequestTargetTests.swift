import Testing
@testable import FrontKit

/// `RequestTarget`: the path split into decoded segments and the query into decoded pairs,
/// every front's first step on a request.
@Suite struct RequestTargetTests {
    @Test("segments are split at every slash and decoded; an empty first and last one dropped")
    func segments() throws {
        let target = try #require(RequestTarget("/acct/share/dir%20one//file%C3%A9.txt/?x=1"))
        #expect(target.rawPath == "/acct/share/dir%20one//file%C3%A9.txt/")
        #expect(target.segments == ["acct", "share", "dir one", "", "fileé.txt"])
        #expect(try #require(RequestTarget("/")).segments == [])
        #expect(try #require(RequestTarget("")).segments == [])
        #expect(try #require(RequestTarget("//")).segments == [""])  // one empty segment between the two
        #expect(try #require(RequestTarget("/a%2Fb")).segments == ["a/b"])
        #expect(try #require(RequestTarget("/naïve/ü")).segments == ["naïve", "ü"])
    }

    @Test("query pairs are decoded in order; `+` stays `+`, empty items are skipped")
    func query() throws {
        let target = try #require(RequestTarget("/b?comp=list&&prefix=a%2Bb+c&marker=&flag&sig=x%3D%3D=y"))
        #expect(target.query.map(\.name) == ["comp", "prefix", "marker", "flag", "sig"])
        #expect(target.query.map(\.value) == ["list", "a+b+c", "", "", "x===y"])
        #expect(target.value("prefix") == "a+b+c")
        #expect(target.valueIgnoringCase("COMP") == "list")
        #expect(target.value("missing") == nil)
        #expect(try #require(RequestTarget("/b?")).query.isEmpty)
        #expect(try #require(RequestTarget("/b?a=1?b=2")).value("a") == "1?b=2")
    }

    @Test("malformed escapes and escapes that are not UTF-8 make the target invalid")
    func malformed() {
        #expect(RequestTarget("/a%zz") == nil)
        #expect(RequestTarget("/a%2") == nil)
        #expect(RequestTarget("/a%FF") == nil)
        #expect(RequestTarget("/a?x=%") == nil)
        #expect(RequestTarget("/a?%C3=1") == nil)
        #expect(RequestTarget.percentDecode("100%") == nil)
        #expect(RequestTarget.percentDecode("a%20b") == "a b")
        #expect(RequestTarget.percentDecode("plain") == "plain")
    }

    @Test("names compared ignoring case, ASCII without a copy, others as lowercased() does")
    func ignoringCase() throws {
        #expect(RequestTarget.lowercased("SiG", equals: "sig"))
        #expect(RequestTarget.lowercased("sig", equals: "sig"))
        #expect(!RequestTarget.lowercased("sigs", equals: "sig"))
        #expect(!RequestTarget.lowercased("SIF", equals: "sig"))
        #expect(!RequestTarget.lowercased("[", equals: "{"))  // not letters: no case
        #expect(RequestTarget.lowercased("ÉTÉ", equals: "été"))
        #expect(RequestTarget.lowercased("\u{212A}ey", equals: "key"))  // Kelvin sign, as lowercased()
        #expect(!RequestTarget.lowercased("si", equals: "sig"))  // shorter
        #expect(RequestTarget.lowercased("A\u{212A}", equals: "ak"))  // non-ASCII after an ASCII prefix
        #expect(!RequestTarget.lowercased("B\u{212A}", equals: "ak"))
        #expect(RequestTarget.lowercased("", equals: ""))
        #expect(!RequestTarget.lowercased("", equals: "a"))
        #expect(RequestTarget.lowercasedName("sig") == "sig")
        #expect(RequestTarget.lowercasedName("SiG") == "sig")
        #expect(RequestTarget.lowercasedName("ÉTÉ") == "été")
        #expect(RequestTarget.lowercasedName("\u{212A}ey") == "key")
        let target = try #require(RequestTarget("/x?SV=2020&Sig=abc&%C3%89t%C3%A9=1"))
        #expect(target.valueIgnoringCase("sv") == "2020")
        #expect(target.valueIgnoringCase("SIG") == "abc")
        #expect(target.valueIgnoringCase("été") == "1")
        #expect(target.valueIgnoringCase("se") == nil)
    }

    @Test("percent-encoding keeps unreserved bytes (and `/` when asked), encodes the rest as upper-case hex, and round-trips")
    func percentEncoding() {
        #expect(RequestTarget.percentEncode("plain-name_1.txt~") == "plain-name_1.txt~")
        #expect(RequestTarget.percentEncode("a/b c", keepSlash: true) == "a/b%20c")
        #expect(RequestTarget.percentEncode("a/b c") == "a%2Fb%20c")
        #expect(RequestTarget.percentEncode("été&=+") == "%C3%A9t%C3%A9%26%3D%2B")
        #expect(RequestTarget.percentEncode("") == "")
        #expect(RequestTarget.percentEncode("\u{1F600}/x", keepSlash: true) == "%F0%9F%98%80/x")
        for text in ["key with spaces/and/slashes", "ünïcödé/名前", "100%", "a+b=c&d", String(repeating: "x/", count: 300)] {
            #expect(RequestTarget.percentDecode(RequestTarget.percentEncode(text, keepSlash: true)) == text)
            #expect(RequestTarget.percentDecode(RequestTarget.percentEncode(text)) == text)
        }
    }
}
