import Foundation
import Images
import Torch

/// FFHQ-style face alignment (the FFHQ dataset's `recreate_aligned_images`, which pSp's `align_all_parallel.py`
/// copies): shrink a large photo, crop around the quad, pad with a feathered mirror where the quad leaves the photo,
/// then warp the quad onto a square.
///
/// Steps, sizes and rounding follow the script on 8-bit images; the warp (PIL's bilinear QUAD transform,
/// `QuadSampler`), the feathered padding (`BorderFill`) and the two Lanczos resizes (`PILResample`) reproduce it.
/// pSp's copy warps straight to 256 pixels (`supersampling` 1); the FFHQ original warps at four times the output
/// size and then shrinks.
public enum FFHQAlignment {
    /// `image` [1, 3, H, W] RGB in [-1, 1] -> the aligned face [1, 3, outputSize, outputSize] in [-1, 1].
    ///
    /// - Parameter supersampling: the warp runs at `supersampling` x `outputSize` (the script's `transform_size`),
    ///   then is shrunk with antialiasing; 1 warps straight to the output size.
    public static func align(_ image: Tensor, quad: AlignmentQuad, outputSize: Int, supersampling: Int = 4) throws
        -> Tensor
    {
        let shape = image.shape
        guard shape.count == 4, shape[0] == 1, shape[1] == 3 else {
            throw TorchError("FFHQAlignment: expected an RGB image [1, 3, H, W], got \(shape)")
        }
        guard outputSize > 0, supersampling > 0 else {
            throw TorchError("FFHQAlignment: output size \(outputSize) and supersampling \(supersampling) must be "
                + "positive")
        }
        guard quad.size.isFinite, quad.size > 0 else {
            throw TorchError("FFHQAlignment: the quad has no area (size \(quad.size)); are the landmarks distinct?")
        }
        return try withNoGrad {
            // The script works on 8-bit images: whole levels 0...255 throughout.
            var pixels = try ((image.to(dtype: .float32) + 1) * 127.5).round().clamp(min: 0, max: 255)
            var quad = quad

            // Shrink: keep the quad at most about 4x the output before warping.
            let shrink = Int((quad.size / Double(outputSize) * 0.5).rounded(.down))
            if shrink > 1 {
                let (height, width) = (pixels.size(2), pixels.size(3))
                pixels = try resizeLevels(pixels, height: rint(Double(height) / Double(shrink)),
                                          width: rint(Double(width) / Double(shrink)))
                quad = quad.shrunk(by: Double(shrink))
            }

            // Crop: the quad's bounds plus a border, inside the photo.
            let border = max(rint(quad.size * 0.1), 3)
            var bounds = quad.pixelBounds
            let (height, width) = (pixels.size(2), pixels.size(3))
            let crop = (left: max(bounds.left - border, 0), top: max(bounds.top - border, 0),
                        right: min(bounds.right + border, width), bottom: min(bounds.bottom + border, height))
            guard crop.right > crop.left, crop.bottom > crop.top else {
                throw TorchError("FFHQAlignment: the face quad lies outside the \(width)x\(height) image")
            }
            pixels = try pixels.narrow(2, start: crop.top, length: crop.bottom - crop.top)
                .narrow(3, start: crop.left, length: crop.right - crop.left)
            quad = quad.moved(origin: FacePoint(x: Double(crop.left), y: Double(crop.top)))

            // Pad: where the quad (plus border) still reaches past the crop, by at least 0.3 qsize on every side.
            bounds = quad.pixelBounds
            let (croppedHeight, croppedWidth) = (pixels.size(2), pixels.size(3))
            var pad = [max(border - bounds.left, 0), max(border - bounds.top, 0),
                       max(bounds.right - croppedWidth + border, 0), max(bounds.bottom - croppedHeight + border, 0)]
            if pad.max()! > border - 4 {
                pad = pad.map { max($0, rint(quad.size * 0.3)) }
                pixels = try BorderFill.pad(pixels, left: pad[0], top: pad[1], right: pad[2], bottom: pad[3],
                                            blurSigma: quad.size * 0.02)
                quad = quad.moved(origin: FacePoint(x: Double(-pad[0]), y: Double(-pad[1])))
            }

            // Transform.
            let transformSize = outputSize * supersampling
            pixels = try QuadSampler.sample(pixels, quad: quad, size: transformSize)
            if transformSize > outputSize {
                pixels = try resizeLevels(pixels, height: outputSize, width: outputSize)
            }
            return try pixels / 127.5 - 1
        }
    }

    /// Aligns an image with MTCNN-style landmarks; the result is 8-bit RGB.
    public static func align(_ image: Image, landmarks: FaceLandmarks, outputSize: Int, supersampling: Int = 4)
        throws -> Image
    {
        try Image(tensor: align(image.tensor(), quad: AlignmentQuad(landmarks: landmarks), outputSize: outputSize,
                                supersampling: supersampling))
    }

    /// PIL's Lanczos resize of 8-bit images, where the script has `img.resize(..., ANTIALIAS)`.
    private static func resizeLevels(_ pixels: Tensor, height: Int, width: Int) throws -> Tensor {
        try PILResample.resize(pixels, height: height, width: width)
    }

    /// Rounds half to even to an integer, as `int(np.rint(v))`.
    private static func rint(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
}
