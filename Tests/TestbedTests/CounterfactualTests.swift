import Testing
import Torch
@testable import Testbed

/// The renderer's counterfactuals move one attribute to the end asked for and leave every other attribute, and most
/// of the picture, as drawn.
@Suite("Testbed counterfactuals")
struct CounterfactualTests {
    @Test func oneAttributeMovesTheRestStays() throws {
        let face = TestbedSample(split: .test, identity: 1_000_003, variation: 2).face
        let renderer = try TestbedRenderer(size: 64)
        let original = try renderer.render(faces: [face])
        for attribute in TestbedAttribute.allCases {
            guard attribute.hasCounterfactual else {
                #expect(attribute.counterfactual(of: face, positive: true) == nil, "\(attribute)")
                continue
            }
            for positive in [false, true] {
                let moved = try #require(attribute.counterfactual(of: face, positive: positive))
                let value = attribute.value(of: moved)
                if attribute.isBinary {
                    #expect(value == (positive ? 1 : 0), "\(attribute) \(positive)")
                } else {
                    let centre = (attribute.range.lowerBound + attribute.range.upperBound) / 2
                    #expect(positive ? value > centre : value < centre, "\(attribute) \(positive): \(value)")
                }
                for other in TestbedAttribute.allCases where other != attribute {
                    #expect(other.value(of: moved) == other.value(of: face), "\(attribute) moved \(other)")
                }
            }
        }
        // A smile changes the mouth, not the background: most pixels stay.
        let smiling = try renderer.render(faces: [TestbedAttribute.smile.counterfactual(of: face, positive: true)!])
        let neutral = try renderer.render(faces: [TestbedAttribute.smile.counterfactual(of: face, positive: false)!])
        let changed = try (smiling.images - neutral.images).abs().max([1]).gt(0.05).to(dtype: .float32).mean().item()
        #expect(changed > 0.001 && changed < 0.2, "share of pixels the smile changed: \(changed)")
        #expect(original.images.shape == smiling.images.shape)
    }

    @Test func classifierScoresAreInTheAttributesUnits() {
        #expect(TestbedAttribute.smile.score(output: 0) == 0.5)
        #expect(TestbedAttribute.smile.score(output: 20) > 0.999)
        #expect(TestbedAttribute.yaw.score(output: 0) == -30 && TestbedAttribute.yaw.score(output: 1) == 30)
        #expect(TestbedAttribute.gazeY.score(output: 0.5) == 0)
    }
}
