import Checkpoints
import TestSupport
import Testing
import Torch
@testable import Perception

/// The lpips-alex fixture: LPIPS v0.1 with a random AlexNet backbone and the published linear layers; distances
/// within 1e-5 of the reference.
@Suite("LPIPS parity (lpips-alex)")
struct LPIPSParityTests {
    let lpips: LPIPS
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        lpips = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"),
                          linearLayers: Fixtures.path("lpips-alex/lpips_alex_lin_v0.1.pth"))
        cases = try Fixtures.cases("lpips-alex/cases.safetensors")
    }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("fixture case \(key) missing") }
        return t
    }

    @Test(arguments: [("x", "y", "d_xy"), ("x", "z", "d_xz"), ("x", "x", "d_xx")])
    func distance(_ a: String, _ b: String, _ key: String) throws {
        let d = try lpips(ref(a), ref(b))
        print("LPIPS parity \(key): max |diff| \(try maxAbsDifference(d, ref(key)))")
        try expectClose(d, try ref(key), tol: 1e-5, key)
    }

    @Test func spatialMap() throws {
        let map = try lpips.spatialDistance(ref("x"), ref("y"))
        print("LPIPS parity d_xy_spatial: max |diff| \(try maxAbsDifference(map, ref("d_xy_spatial")))")
        try expectClose(map, try ref("d_xy_spatial"), tol: 1e-5, "d_xy_spatial")
    }

    @Test func theShippedAlexLayersAreTheFixturesLayers() throws {
        let shipped = try TorchCheckpoint.load(LPIPS.bundledLinearLayers(.alex).path).stateDict()
        let fixture = try TorchCheckpoint.load(Fixtures.path("lpips-alex/lpips_alex_lin_v0.1.pth")).stateDict()
        #expect(shipped.names == fixture.names)
        for (name, tensor) in fixture { try expectClose(try shipped.tensor(name), tensor, tol: 0, name) }
    }

    /// With the linear layers shipped in the package (the default) the distances are the fixture's.
    @Test func bundledLinearLayersByDefault() throws {
        let model = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"))
        try expectClose(try model(ref("x"), ref("y")), try ref("d_xy"), tol: 1e-5, "d_xy with bundled layers")
    }

    /// A torchvision file also holds the classifier head; it is accepted and left out.
    @Test func torchvisionClassifierKeysAreIgnored() throws {
        var full = try TorchCheckpoint.load(Fixtures.path("lpips-alex/alexnet_backbone.pt")).stateDict()
        full["classifier.1.weight"] = try Tensor.zeros([4096, 9216])
        full["classifier.6.bias"] = try Tensor.zeros([1000])
        let model = try LPIPS(network: .alex)
        try model.loadBackbone(full)
        let lins = try TorchCheckpoint.load(Fixtures.path("lpips-alex/lpips_alex_lin_v0.1.pth")).stateDict()
        try model.loadLinearLayers(lins)
        try expectClose(try model(ref("x"), ref("z")), try ref("d_xz"), tol: 1e-5, "d_xz")
    }
}
