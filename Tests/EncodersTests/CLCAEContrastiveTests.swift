import Checkpoints
import Encoders
import Foundation
import TestSupport
import Testing
import Torch

/// CLCAE's contrastive pair against `encoders/clcae` (ImageEncoder(x, x_avg) and LatentEncoder(w, w_avg) with
/// `use_norm`, procedural weights), and the symmetric loss of the paper.
@Suite("CLCAE contrastive encoders")
struct CLCAEContrastiveTests {
    let keys: [String: [Procedural.Key]]
    let ref: [String: Tensor]

    init() throws {
        try Runtime.start()
        keys = try Procedural.keyLists("encoders/clcae/keys.json")
        ref = try Fixtures.cases("encoders/clcae/cases.safetensors")
    }

    func ref(_ name: String) throws -> Tensor { try #require(ref[name], "fixture case \(name) missing") }

    @Test func keysAndParameterCountsAreTheOfficialFiles() throws {
        for (network, name, count) in [(try CLCAEImageEncoder() as Module, "image_encoder",
                                        CLCAEImageEncoder.officialParameterCount),
                                       (try CLCAELatentEncoder(), "latent_encoder",
                                        CLCAELatentEncoder.officialParameterCount)]
        {
            let expected = try #require(keys[name])
            let ours = try network.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
            #expect(ours.map(\.name) == expected.map(\.name), "\(name)")
            #expect(ours.map(\.tensor.shape) == expected.map(\.shape), "\(name)")
            #expect(network.parameterCount == count, "\(name)")
        }
    }

    /// Embeddings and temperature match the reference (the latent encoder read back from a safetensors file);
    /// the loss wrapper feeds both encoders as CLCAE's `ContrastiveID` does.
    @Test func embeddingsMatchTheReferenceAndFeedTheLoss() throws {
        let image = try CLCAEImageEncoder()
        try image.load(stateDict: Procedural.stateDict(try #require(keys["image_encoder"])))
        let path = FeatureSpaceTestSupport.scratchPath("clcae-latent.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(Procedural.stateDict(try #require(keys["latent_encoder"])), to: path)
        let latent = try CLCAELatentEncoder.load(path: path)

        let (input, xAvg, w, wAvg) = (try ref("input"), try ref("x_avg"), try ref("w"), try ref("w_avg"))
        // A batch of two pairs: the reference's, and a second one to contrast it with.
        let images = try Tensor.cat([input, input.flip([3])])
        let codes = try Tensor.cat([w, w.flip([2]) * 0.5])
        let (imageEmbeddings, latentEmbeddings) = try withNoGrad {
            (try image(images, average: xAvg), try latent(codes, average: wAvg))
        }
        try expectClose(imageEmbeddings.slice(0, 0, 1), try ref("image_embedding"), "image_embedding")
        try expectClose(latentEmbeddings.slice(0, 0, 1), try ref("latent_embedding"), "latent_embedding")
        try expectClose(try image.logitScale().reshape([1]), try ref("logit_scale_exp"), "logit_scale_exp")

        let loss = try CLCAEContrastiveLoss(imageEncoder: image, latentEncoder: latent, averageImage: xAvg,
                                            latentAvg: wAvg.reshape([512]))
        let value = try withNoGrad { try loss(images: images, w: codes.squeeze(1)) }
        let expected = try CLCAEContrastiveLoss.symmetric(imageEmbeddings: imageEmbeddings,
                                                          latentEmbeddings: latentEmbeddings,
                                                          logitScale: image.logitScale())
        try expectClose(value, expected, tol: 1e-6, "loss through both encoders")
    }

    /// Two pairs, scale 2, worked by hand: logits 2 I Lᵀ = [[1.2, 0], [1.6, 2]] for I = identity and
    /// L = [[0.6, 0.8], [0, 1]]. Image -> latent (rows): log(1 + e^-1.2) = 0.2632825 and log(1 + e^-0.4) =
    /// 0.5130153, mean 0.3881489. Latent -> image (columns): log(1 + e^0.4) = 0.9130153 and log(1 + e^-2) =
    /// 0.1269280, mean 0.5199716. λ = 0.5 gives 0.4540602; λ = 0.25 gives 0.4870159.
    @Test func symmetricLossByHand() throws {
        let images = try Tensor.eye(2)
        let latents = try Tensor([0.6, 0.8, 0, 1] as [Float], shape: [2, 2])
        let scale = try Tensor.full([], 2)
        let even = try CLCAEContrastiveLoss.symmetric(imageEmbeddings: images, latentEmbeddings: latents, logitScale: scale)
        #expect(abs(try even.item() - 0.4540602) < 1e-6)
        let weighted = try CLCAEContrastiveLoss.symmetric(imageEmbeddings: images, latentEmbeddings: latents,
                                                          logitScale: scale, lambda: 0.25)
        #expect(abs(try weighted.item() - 0.4870159) < 1e-6)
    }
}
