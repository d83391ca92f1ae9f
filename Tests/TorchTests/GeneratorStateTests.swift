import Testing
import Torch

/// Generator state: a generator set to a saved state draws what the original drew after it.
@Suite("Generator state")
struct GeneratorStateTests {
    @Test func restoredGeneratorRepeatsTheStream() throws {
        let generator = try Generator(seed: 3)
        _ = try Tensor.randn([7], generator: generator)
        let state = try generator.state()
        #expect(state.dtype == .uint8 && state.rank == 1)
        let expected = try Tensor.randn([5], generator: generator).bytes()
        let expectedUniform = try Tensor.rand([3], generator: generator).bytes()

        // The state is a copy: drawing more does not change it.
        _ = try Tensor.randn([11], generator: generator)
        try generator.setState(state)
        #expect(try Tensor.randn([5], generator: generator).bytes() == expected)
        #expect(try Tensor.rand([3], generator: generator).bytes() == expectedUniform)

        let other = try Generator(seed: 99)
        try other.setState(state)
        #expect(try Tensor.randn([5], generator: other).bytes() == expected)
    }

    @Test func aStateOfTheWrongSizeIsRefusedAndTheGeneratorKeepsItsOwn() throws {
        let generator = try Generator(seed: 5)
        let before = try generator.state()
        #expect(throws: TorchError.self) { try generator.setState(Tensor.zeros([10], dtype: .uint8)) }
        #expect(throws: TorchError.self) { try generator.setState(Tensor.zeros([before.count], dtype: .float32)) }
        #expect(try generator.state().bytes() == before.bytes())
    }
}
