import Foundation
import TestSupport
import Testing
import Torch

@Suite("Procedural fill")
struct ProceduralTests {
    @Test func valuesFollowTheRules() throws {
        // j = 0, i = 0: s = sin(0.5).
        let s0 = 0.479425538604203
        #expect(abs(try Procedural.value(name: "bn.running_var", shape: [1], index: 0).item() - (1 + 0.25 * (s0 + 1))) < 1e-6)
        #expect(abs(try Procedural.value(name: "bn.running_mean", shape: [1], index: 0).item() - 0.1 * s0) < 1e-7)
        #expect(abs(try Procedural.value(name: "bn.weight", shape: [1], index: 0).item() - (0.8 + 0.2 * s0)) < 1e-7)
        #expect(abs(try Procedural.value(name: "fc.bias", shape: [1], index: 0).item() - 0.1 * s0) < 1e-7)
        #expect(abs(try Procedural.value(name: "scale", shape: [], index: 0).item() - 0.5 * s0) < 1e-7)
        // A [2, 8] weight: fan_in 8, scale 2 / sqrt(8).
        let w = try Procedural.value(name: "fc.weight", shape: [2, 8], index: 0)
        #expect(abs(try w.floats()[0] - Float(2 / (8.0).squareRoot() * s0)) < 1e-7)
        #expect(abs(try Procedural.input([3]).floats()[1] - Float(0.9 * sin(0.15))) < 1e-7)
    }
}
