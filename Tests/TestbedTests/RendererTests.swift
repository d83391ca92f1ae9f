import Testing
import Torch
@testable import Testbed

@Suite("Testbed renderer")
struct RendererTests {
    @Test func rendersImagesMasksAttributesAndIdentities() throws {
        let renderer = try TestbedRenderer(size: 64)
        let batch = try renderer.render(split: .train, indices: 0..<8)
        #expect(batch.images.shape == [8, 3, 64, 64])
        #expect(batch.masks.shape == [8, 64, 64])
        #expect(batch.attributes.shape == [8, TestbedAttribute.allCases.count])
        #expect(try batch.identities.int64s() == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try batch.images.min().item() >= -1 && batch.images.max().item() <= 1)
        let classes = Set(try batch.masks.int64s())
        #expect(classes.isSuperset(of: [0, 1, 4, 5, 10, 12, 13, 14, 16].map(Int64.init)), "\(classes.sorted())")
    }
}
