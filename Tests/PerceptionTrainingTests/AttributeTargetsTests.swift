import Foundation
import PerceptionTraining
import Testbed
import Testing
import Torch

/// The attribute losses and predictions against a hand computation.
@Suite("Attribute targets")
struct AttributeTargetsTests {
    @Test func lossesAndPredictionsMatchAHandComputation() throws {
        let attributes = TestbedAttribute.allCases
        let count = attributes.count
        // Outputs 0.5 everywhere; targets: binary 1, continuous the top of the range.
        let outputs = try Tensor.full([1, count], 0.5)
        let targets = try Tensor(attributes.map { $0.isBinary ? Float(1) : $0.range.upperBound }, shape: [1, count])
        let (binary, continuous) = try AttributeTargets.losses(outputs: outputs, attributes: targets)
        // BCE(0.5, 1) = softplus(0.5) - 0.5 = log(1 + e^-0.5); MSE((0.5 - 1)^2) = 0.25.
        #expect(abs(try binary.item() - Foundation.log(1 + Foundation.exp(-0.5))) < 1e-5)
        if attributes.contains(where: { !$0.isBinary }) { #expect(abs(try continuous.item() - 0.25) < 1e-6) }
        let predicted = try AttributeTargets.predictions(outputs: outputs).floats()
        for (i, attribute) in attributes.enumerated() {
            let want = attribute.isBinary ? 1 : attribute.range.lowerBound + 0.5 * (attribute.range.upperBound - attribute.range.lowerBound)
            #expect(abs(predicted[i] - want) < 1e-4, "\(attribute)")
        }
    }
}
