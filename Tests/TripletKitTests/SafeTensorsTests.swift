// The safetensors writer and reader.

import Foundation
import Testing
@testable import TripletKit

@Suite struct SafeTensorsTests {
    @Test func roundTripAndLayout() throws {
        let file = SafeTensorsFile(metadata: ["network": "convnet", "note": "tab\there"],
                                   tensors: [.init(name: "b", shape: [2], values: [1, -2]),
                                             .init(name: "a", shape: [1, 3], values: [0.5, 1.5, 2.5])])
        let bytes = file.encoded()
        let headerLength = bytes.withUnsafeBytes { Int(readLittleEndian($0, at: 0) as UInt64) }
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\":{\"network\":\"convnet\",\"note\":\"tab\\there\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[0,12]}"))
        #expect(bytes.count == 8 + headerLength + 20)

        let decoded = try bytes.withUnsafeBytes { try SafeTensorsFile.decode($0, path: "memory") }
        #expect(decoded.metadata == file.metadata)
        #expect(decoded.tensor(named: "a")?.values == [0.5, 1.5, 2.5])
        #expect(decoded.tensor(named: "b")?.shape == [2])
    }

    @Test func rejectsDamagedHeader() throws {
        var bytes = SafeTensorsFile(metadata: [:], tensors: [.init(name: "w", shape: [4], values: [1, 2, 3, 4])]).encoded()
        bytes[0] = 0xFF  // header length far beyond the file
        let error = #expect(throws: TripletKitError.self) {
            try bytes.withUnsafeBytes { try SafeTensorsFile.decode($0, path: "model.safetensors") }
        }
        #expect(error?.message.contains("model.safetensors") == true)
    }
}
