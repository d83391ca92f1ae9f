import Perception
import Testbed
import Torch

extension ResNet18Classifier {
    /// The scores of images [N, 3, H, W] in attribute units (`TestbedAttribute.score`), [N, A] in the classifier's
    /// column order; columns that are no testbed attribute stay raw.
    func attributeScores(_ images: Tensor) throws -> Tensor {
        let outputs = try withNoGrad { try self(images).to(device: .cpu, dtype: .float32) }
        let names = outputNames.map(TestbedAttribute.init(rawValue:))
        let columns = try outputs.unbind(1).enumerated().map { j, column in
            guard let attribute = names[j] else { return column }
            return try Tensor(column.floats().map(attribute.score(output:)))
        }
        return try Tensor.stack(columns, dim: 1)
    }

    /// The column of `attribute` in `attributeScores`.
    func column(of attribute: TestbedAttribute) throws -> Int {
        guard let column = outputNames.firstIndex(of: attribute.rawValue) else {
            throw EvaluationError("the attribute classifier has no output \(attribute.rawValue)")
        }
        return column
    }
}
