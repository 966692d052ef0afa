import Foundation
import Testing
@testable import FileREST
@testable import ShareCore

/// The SDDL and self-relative binary codec behind Get Permission's format conversion.
@Suite struct SecurityDescriptorTests {
    /// `O:BAG:SYD:(A;;FA;;;BA)`, laid out by hand from MS-DTYP 2.4.6: header, DACL, owner, group.
    static let knownBinary: [UInt8] = [
        1, 0, 0x04, 0x80, 52, 0, 0, 0, 68, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
        // DACL: revision 2, size 32, one ACE
        2, 0, 32, 0, 1, 0, 0, 0,
        // ACCESS_ALLOWED_ACE, no flags, size 24, FA, BA
        0, 0, 24, 0, 0xFF, 0x01, 0x1F, 0x00, 1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0,
        // owner BA
        1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0,
        // group SY
        1, 1, 0, 0, 0, 0, 0, 5, 0x12, 0, 0, 0,
    ]

    @Test func encodesTheKnownLayout() throws {
        let descriptor = try SecurityDescriptor(sddl: "O:BAG:SYD:(A;;FA;;;BA)")
        #expect(descriptor.binary == Self.knownBinary)
        #expect(try SecurityDescriptor(binary: Self.knownBinary) == descriptor)
        #expect(try SecurityDescriptor(binary: Self.knownBinary).sddl == "O:BAG:SYD:(A;;FA;;;BA)")
    }

    @Test(arguments: [
        FileRESTService.defaultPermission,
        "O:BAG:SYD:(A;;FA;;;BA)(A;;0x1200a9;;;BU)",
        "O:S-1-5-21-1004336348-1177238915-682003330-512G:S-1-5-21-1004336348-1177238915-682003330-513D:PAI(A;OICIID;FA;;;SY)(A;OICIIOID;GA;;;CO)(D;CI;FW;;;WD)",
        "O:SYG:SYD:PARAI(A;OICINPIO;0x1200a9;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)S:AI(AU;SAFA;FA;;;WD)",
        "O:BAG:BAD:NO_ACCESS_CONTROLS:(ML;;NW;;;LW)",
        "O:BAG:BAD:(OA;CI;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;bf967aba-0de6-11d0-a285-00aa003049e2;PS)",
        "O:S-1-0x1234567890AB-1G:CGD:P",
        "D:(A;;FA;;;WD)",
    ])
    func roundTripsThroughBinary(_ sddl: String) throws {
        let parsed = try SecurityDescriptor(sddl: sddl)
        #expect(parsed.sddl == sddl)
        let binary = parsed.binary
        let back = try SecurityDescriptor(binary: binary)
        #expect(back == parsed)
        #expect(back.sddl == sddl)
        #expect(back.binary == binary)
    }

    @Test func writesWhatWindowsWrites() throws {
        // Numeric rights and SIDs come back in Windows's canonical spelling.
        #expect(try SecurityDescriptor(sddl: "O:S-1-5-32-544G:s-1-5-18D:(A;;2032127;;;S-1-1-0)(A;;0x30;;;bu)").sddl
                == "O:BAG:SYD:(A;;FA;;;WD)(A;;RPWP;;;BU)")
        #expect(try SecurityDescriptor(sddl: "D:(A;;010;;;WD)").dacl?.entries?.first?.mask == 8)
        #expect(try SecurityDescriptor(sddl: "D:(A;;0x100000;;;WD)").sddl == "D:(A;;0x100000;;;WD)")
        #expect(try SecurityDescriptor(sddl: "D:(A;;GRGX;;;WD)").sddl == "D:(A;;GXGR;;;WD)")
    }

    @Test(arguments: [
        "", "O:", "O:SYO:SY", "X:SY", "D:((A;;FA;;;WD))", "D:(A;;FA;;;SY", "O:ZZ", "O:S-1-5-x",
        "D:(A;;FA;;WD)", "D:(Q;;FA;;;WD)", "D:(A;;QQ;;;WD)", "D:(A;XX;FA;;;WD)", "D:(A;;FA;;;WD)junk",
        "D:(XA;;FA;;;WD;(Member_of {SID(BA)}))", "D:(A;;FA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
        "D:NO_ACCESS_CONTROL(A;;FA;;;WD)", "O:S-1-5-4294967296",
    ])
    func refusesMalformedSDDL(_ sddl: String) {
        #expect(throws: SecurityDescriptor.Invalid.self) { try SecurityDescriptor(sddl: sddl) }
    }

    @Test func refusesMalformedBinary() {
        var badRevision = Self.knownBinary
        badRevision[0] = 2
        var notSelfRelative = Self.knownBinary
        notSelfRelative[3] = 0
        var ownerOutside = Self.knownBinary
        ownerOutside[4] = 200
        var aceTooLong = Self.knownBinary
        aceTooLong[30] = 64
        var conditional = Self.knownBinary
        conditional[28] = 9
        for bytes in [[], Array(Self.knownBinary.prefix(19)), Array(Self.knownBinary.prefix(70)),
                      badRevision, notSelfRelative, ownerOutside, aceTooLong, conditional] {
            #expect(throws: SecurityDescriptor.Invalid.self) { try SecurityDescriptor(binary: bytes) }
        }
    }

    @Test func getPermissionConvertsBothWays() async throws {
        let h = try await Harness.make()
        #expect(try await h.send(.put, "docs?restype=share").status == 201)
        let sddl = "O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;;0x1200a9;;;BU)"
        let created = try await h.send(.put, "docs?restype=share&comp=filepermission",
                                       body: Array("{\"permission\": \"\(sddl)\", \"format\": \"sddl\"}".utf8))
        let key = try #require(created.header("x-ms-file-permission-key"))
        let binary = try await h.send(.get, "docs?restype=share&comp=filepermission",
                                      headers: ["x-ms-file-permission-key": key, "x-ms-file-permission-format": "binary"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(binary.body)) as? [String: String])
        #expect(json["format"] == "Binary")
        let encoded = try #require(json["permission"])
        let bytes = try #require(Data(base64Encoded: encoded))
        #expect(try SecurityDescriptor(binary: Array(bytes)).sddl == sddl)

        let fromBinary = try await h.send(.put, "docs?restype=share&comp=filepermission",
                                          body: Array("{\"permission\": \"\(encoded)\", \"format\": \"binary\"}".utf8))
        let binaryKey = try #require(fromBinary.header("x-ms-file-permission-key"))
        for (format, expected) in [("sddl", ["permission": sddl, "format": "Sddl"]), ("binary", json)] {
            let reply = try await h.send(.get, "docs?restype=share&comp=filepermission",
                                         headers: ["x-ms-file-permission-key": binaryKey, "x-ms-file-permission-format": format])
            #expect(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: String] == expected)
        }
        // Without the header, SDDL (the default format).
        let plain = try await h.send(.get, "docs?restype=share&comp=filepermission", headers: ["x-ms-file-permission-key": binaryKey])
        #expect(try JSONSerialization.jsonObject(with: Data(plain.body)) as? [String: String] == ["permission": sddl])

        let garbage = Data("not a descriptor at all".utf8).base64EncodedString()
        let refused = try await h.send(.put, "docs?restype=share&comp=filepermission",
                                       body: Array("{\"permission\": \"\(garbage)\", \"format\": \"binary\"}".utf8))
        #expect(refused.status == 400 && refused.errorCode == "FileInvalidPermission")
        try await h.finish()
    }
}
