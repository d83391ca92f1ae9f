import Encoders
import StyleGAN
import Testing
import Torch

@Suite("Encoder output")
struct EncoderOutputTests {
    @Test func carriesCodesAndFeature() throws {
        let out = EncoderOutput(wPlus: try Tensor.zeros([2, 18, 512]),
                                feature: FeatureInjection(layer: 5, tensor: try Tensor.zeros([2, 512, 16, 16])))
        #expect(out.wPlus.shape == [2, 18, 512])
        #expect(out.feature?.layer == 5 && out.feature?.blend == 1)
    }
}
