import Checkpoints
import Foundation
import Perception
import Testing
import Torch

/// IR-SE of other widths and depths: same key layout, configuration recorded in the file, the ID-loss crop scaled
/// to any image size.
@Suite("IRSE50 configurations")
struct IRSE50ConfigurationTests {
    @Test func officialConfigurationIsIRSE50() throws {
        let official = IRSE50.Configuration.official
        #expect(official.stageEnds == [2, 6, 20, 23])
        #expect(official.featureSize == 7)
        #expect(IRSE50.Configuration.testbed.featureSize == 3)  // 48 -> 24 -> 12 -> 6 -> 3
    }

    @Test func smallNetworkKeepsTheLayoutAndLoadsFromItsFile() throws {
        let net = try IRSE50(.tiny)
        let keys = try net.stateDict().dictionary.keys
        #expect(keys.contains("input_layer.0.weight") && keys.contains("body.1.shortcut_layer.0.weight"))
        #expect(keys.contains("output_layer.3.weight") && !keys.contains("body.2.res_layer.0.weight"))
        let features = try net.multiLayerFeatures(Tensor.randn([2, 3, 16, 16]))
        #expect(features.stages.map(\.shape) == [[2, 8, 8, 8], [2, 16, 4, 4]])
        #expect(features.embedding.shape == [2, 8])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("irse-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(net.stateDict().dictionary,
                              metadata: [IRSE50.Configuration.metadataKey: IRSE50.Configuration.tiny.metadataValue()],
                              to: path)
        let loaded = try IRSE50.load(from: path)
        #expect(loaded.configuration == .tiny)
        let images = try Tensor.randn([2, 3, 64, 64])
        net.eval()
        #expect(try (loaded.idLossEmbedding(images) - withNoGrad { try net.idLossEmbedding(images) }).abs().max().item() < 1e-5)

        // Without the metadata the file is taken for IR-SE50, and its keys do not fit.
        try Safetensors.write(net.stateDict().dictionary, to: path)
        #expect(throws: CheckpointError.self) { _ = try IRSE50.load(from: path) }
    }

    @Test func idLossCropScalesWithTheImage() throws {
        let images = try Tensor.randn([1, 3, 256, 256])
        #expect(try (IRSE50.idLossInput(images, size: 112) - IRSE50.idLossInput(images)).abs().max().item() == 0)
        let full = IRSE50.faceBox(side: 256)
        #expect(full.rows == 35..<223 && full.columns == 32..<220)
        let box = IRSE50.faceBox(side: 64)
        #expect(box.rows == 9..<56 && box.columns == 8..<55)
        #expect(try IRSE50.idLossInput(Tensor.zeros([2, 3, 64, 64]), size: 56).shape == [2, 3, 56, 56])
        #expect(throws: (any Error).self) { _ = try IRSE50.idLossInput(Tensor.zeros([2, 3, 64, 32]), size: 56) }
    }

    @Test func badConfigurationsAreRefused() throws {
        var bad = IRSE50.Configuration.tiny
        bad.stages = []
        #expect(throws: (any Error).self) { _ = try IRSE50(bad) }
        bad = .tiny
        bad.dropRatio = 1
        #expect(throws: (any Error).self) { _ = try IRSE50(bad) }
    }
}
