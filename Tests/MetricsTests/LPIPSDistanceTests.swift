import Metrics
import Perception
import TestSupport
import Testing
import Torch

@Suite("LPIPS metric")
struct LPIPSDistanceTests {
    init() throws { try Runtime.start() }

    @Test func perImageValuesOfTheFixture() throws {
        let network = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"))
        let cases = try Fixtures.cases("lpips-alex/cases.safetensors")
        let x = try #require(cases["x"]), y = try #require(cases["y"]), reference = try #require(cases["d_xy"])
        let values = try Metrics.lpips(x, y, network: network)
        for (value, expected) in zip(values, try reference.doubles()) { #expect(abs(value - expected) <= 1e-5) }
        #expect(try Metrics.lpips(x, x, network: network) == [0, 0, 0, 0])
    }
}
