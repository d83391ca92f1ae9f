import PerceptionTraining
import Testbed
import Testing
import Torch

@Suite("Parser evaluation")
struct ParsingEvaluationTests {
    /// Class 0: IoU 1/1; class 1: 1/2; class 2: 1/3; class 3: 1/2; class 4 is in neither, so it is not in the
    /// mean: (1 + 1/2 + 1/3 + 1/2) / 4.
    @Test("mIoU of a hand-made prediction")
    func handMadeMeanIoU() throws {
        let predicted = try Tensor([Int64(0), 1, 1, 2, 3, 3], shape: [1, 2, 3])
        let target = try Tensor([Int64(0), 1, 2, 2, 3, 2], shape: [1, 2, 3])
        let scores = try ParserEvaluation.scores(predicted: predicted, target: target, classCount: 5)
        #expect(scores.intersections == [1, 1, 1, 1, 0])
        #expect(scores.unions == [1, 2, 3, 2, 0])
        #expect(scores.truePixels == [1, 1, 3, 1, 0])
        #expect(scores.presentClasses == [0, 1, 2, 3])
        #expect(abs(scores.meanIoU - (1 + 0.5 + 1.0 / 3 + 0.5) / 4) < 1e-12)
        #expect(scores.iou(4) == nil)
        let twice = scores + scores
        #expect(twice.meanIoU == scores.meanIoU && twice.unions == [2, 4, 6, 4, 0])
        #expect(try ParserEvaluation.meanIoU(predicted: target, target: target, classCount: 5) == 1)
        #expect(scores.table().contains("| skin | 0.500 |"))
    }

    @Test("labels of different shapes are refused")
    func shapeMismatch() throws {
        #expect(throws: (any Error).self) {
            try ParserEvaluation.scores(predicted: Tensor.zeros([1, 2, 2], dtype: .int64),
                                        target: Tensor.zeros([1, 2, 3], dtype: .int64), classCount: 19)
        }
    }

    @Test("a mirrored batch swaps left and right classes and mirrors the pixels")
    func mirrorSwapsClasses() throws {
        // Row: left eye, left brow, skin, left ear -> mirrored: right ear, skin, right brow, right eye.
        let mask = try Tensor([Int64(FaceClass.leftEye.rawValue), Int64(FaceClass.leftBrow.rawValue),
                               Int64(FaceClass.skin.rawValue), Int64(FaceClass.leftEar.rawValue)], shape: [1, 1, 4])
        let image = try Tensor.arange(0, 12).reshape([1, 3, 1, 4])
        let (images, masks) = try ParserAugmentation.mirrored(images: image, masks: mask)
        #expect(try masks.flatten().array(of: Int64.self) == [FaceClass.rightEar, .skin, .rightBrow, .rightEye]
            .map { Int64($0.rawValue) })
        #expect(try identical(images, image.flip([3])))
        let back = try ParserAugmentation.mirrored(images: images, masks: masks)
        #expect(try identical(back.masks, mask))
    }

    @Test("the augmentation flips each image with its mask, never one without the other")
    func augmentationFlipsPairs() throws {
        var augmentation = ParserAugmentation.none
        augmentation.flip = true
        let renderer = try TestbedRenderer(size: 64)
        let batch = try renderer.render(split: .train, indices: 0..<8)
        let (images, masks) = try augmentation.apply(images: batch.images, masks: batch.masks,
                                                     generator: Generator(seed: 3))
        let (mirroredImages, mirroredMasks) = try ParserAugmentation.mirrored(images: batch.images, masks: batch.masks)
        var flips = 0
        for i in 0..<8 {
            let same = try identical(images.select(0, i), batch.images.select(0, i))
                && identical(masks.select(0, i), batch.masks.select(0, i))
            let mirrored = try identical(images.select(0, i), mirroredImages.select(0, i))
                && identical(masks.select(0, i), mirroredMasks.select(0, i))
            #expect(same || mirrored)
            if mirrored && !same { flips += 1 }
        }
        #expect(flips > 0 && flips < 8)
    }
}

/// Same shape and every element equal.
func identical(_ a: Tensor, _ b: Tensor) throws -> Bool {
    try a.shape == b.shape && a.ne(b).sum().itemInt() == 0
}

@Suite("Parsing pictures")
struct ParsingPicturesTests {
    @Test("class labels become face-parsing.PyTorch's colours; comparisons interleave image, truth, prediction")
    func colours() throws {
        let labels = try Tensor([Int64(0), 1, 17, 18], shape: [1, 2, 2])
        let picture = try ParsingColours.image(labels)
        #expect(picture.shape == [1, 3, 2, 2])
        let unit = try ((picture + 1) * 127.5).round().permute([0, 2, 3, 1]).reshape([4, 3]).floats()
        #expect(unit == [0, 0, 0, 255, 85, 0, 255, 255, 170, 255, 0, 255])
        let images = try Tensor.full([2, 3, 2, 2], 0.25)
        let grid = try ParsingColours.comparison(images: images, truth: labels.expand([2, 2, 2]),
                                                 predicted: Tensor.zeros([2, 2, 2], dtype: .int64))
        #expect(grid.shape == [6, 3, 2, 2])
        #expect(try identical(grid.select(0, 3), images.select(0, 1)))
        #expect(try identical(grid.select(0, 4), picture.select(0, 0)))
        #expect(try grid.select(0, 5).eq(-1).logicalNot().sum().itemInt() == 0)
    }
}
