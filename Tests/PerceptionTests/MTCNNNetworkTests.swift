import Checkpoints
import Foundation
@testable import Perception
import TestSupport
import Testing
import Torch

/// The three networks against the shipped weights: key names, strict loading, shapes, and outputs on the fixtures'
/// procedural input compared with the PyTorch reference networks (values printed by PyTorch 2.13 on CPU).
@Suite("MTCNN networks")
struct MTCNNNetworkTests {
    let mtcnn: MTCNN

    init() throws {
        try Runtime.start()
        mtcnn = try MTCNN()
    }

    @Test func keysMatchTheShippedFiles() throws {
        let networks: [(String, Module)] = [("pnet", mtcnn.pnet), ("rnet", mtcnn.rnet), ("onet", mtcnn.onet)]
        for (name, network) in networks {
            let path = Perception.bundledWeights.appendingPathComponent("mtcnn/\(name).safetensors").path
            let file = try Safetensors.read(path)
            #expect(try network.stateDict().names.sorted() == file.tensors.names.sorted(), "\(name) keys")
        }
        #expect(try mtcnn.pnet.stateDict().names.contains("features.prelu1.weight"))
        #expect(try mtcnn.rnet.stateDict()["features.conv4.weight"]?.shape == [128, 576])
        #expect(try mtcnn.onet.stateDict()["features.conv5.weight"]?.shape == [256, 1152])
        #expect(try mtcnn.onet.stateDict()["conv6_3.weight"]?.shape == [10, 256])
    }

    @Test func loadingIsStrict() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtcnn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["pnet", "rnet", "onet"] {
            var tensors = try Safetensors.read(
                Perception.bundledWeights.appendingPathComponent("mtcnn/\(name).safetensors").path).tensors
            if name == "rnet" { tensors["features.prelu4.weight"] = nil }
            try Safetensors.write(tensors.dictionary, to: folder.appendingPathComponent("\(name).safetensors").path)
        }
        #expect(throws: StateDictError.self) { try MTCNN(weights: folder) }
    }

    @Test func outputShapes() throws {
        let p = try mtcnn.pnet(Tensor.zeros([1, 3, 30, 40]))
        #expect(p.probabilities.shape == [1, 2, 10, 15])  // ceil((30 - 2) / 2) - 4, ceil((40 - 2) / 2) - 4
        #expect(p.offsets.shape == [1, 4, 10, 15])
        let r = try mtcnn.rnet(Tensor.zeros([3, 3, 24, 24]))
        #expect(r.probabilities.shape == [3, 2] && r.offsets.shape == [3, 4])
        let o = try mtcnn.onet(Tensor.zeros([3, 3, 48, 48]))
        #expect(o.probabilities.shape == [3, 2] && o.offsets.shape == [3, 4] && o.landmarks.shape == [3, 10])
        try expectClose(o.probabilities.sum([1]), Tensor.ones([3]), tol: 1e-6, "softmax rows")
    }

    @Test func pnetMatchesReference() throws {
        let out = try mtcnn.pnet(Procedural.input([1, 3, 12, 14]))
        try expectClose(out.probabilities, Tensor([0.9999973773956299, 0.9999938011169434, 2.6523316591919865e-06,
                                                   6.177016530273249e-06] as [Float], shape: [1, 2, 1, 2]),
                        tol: 1e-5, "P-Net probabilities")
        try expectClose(out.offsets, Tensor([0.21654528379440308, 0.2126382291316986, -0.25597208738327026,
                                             -0.22591307759284973, 0.2919045388698578, 0.24825425446033478,
                                             -0.046562328934669495, -0.043908748775720596] as [Float],
                                            shape: [1, 4, 1, 2]),
                        tol: 1e-5, "P-Net offsets")
    }

    /// The offsets move by ~0.02 when the flatten skips its H/W transpose, so this pins the transpose down.
    @Test func rnetMatchesReference() throws {
        let out = try mtcnn.rnet(Procedural.input([2, 3, 24, 24]))
        try expectClose(out.probabilities, Tensor([0.9999985694885254, 1.4375018508872017e-06, 0.9999983310699463,
                                                   1.68030817349063e-06] as [Float], shape: [2, 2]),
                        tol: 1e-5, "R-Net probabilities")
        try expectClose(out.offsets, Tensor([-0.11651751399040222, -0.251697301864624, 0.49804073572158813,
                                             0.6606732606887817, -0.043442826718091965, -0.3117542564868927,
                                             0.4148329496383667, 0.429472416639328] as [Float], shape: [2, 4]),
                        tol: 1e-5, "R-Net offsets")
    }

    @Test func onetMatchesReference() throws {
        let out = try mtcnn.onet(Procedural.input([2, 3, 48, 48]))
        try expectClose(out.probabilities, Tensor([0.9999310970306396, 6.893331010360271e-05, 0.9999316930770874,
                                                   6.829849007772282e-05] as [Float], shape: [2, 2]),
                        tol: 1e-5, "O-Net probabilities")
        try expectClose(out.offsets, Tensor([-0.06215537339448929, -0.1698371320962906, 0.11961223185062408,
                                             0.16928759217262268, -0.06207796186208725, -0.16972549259662628,
                                             0.11956314742565155, 0.16947144269943237] as [Float], shape: [2, 4]),
                        tol: 1e-5, "O-Net offsets")
        try expectClose(out.landmarks, Tensor([
            0.30867284536361694, 0.7329840660095215, 0.5412872433662415, 0.40584683418273926, 0.7564996480941772,
            0.2832014560699463, 0.20673230290412903, 0.5453953742980957, 0.8242596983909607, 0.769786536693573,
            0.30825525522232056, 0.7330982089042664, 0.5408642292022705, 0.4052528142929077, 0.756140947341919,
            0.2826782166957855, 0.2066417783498764, 0.5452337861061096, 0.8240901231765747, 0.7700183391571045,
        ] as [Float], shape: [2, 10]), tol: 1e-5, "O-Net landmarks")
    }
}
