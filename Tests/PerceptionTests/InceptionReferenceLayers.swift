/// pytorch-fid's FID InceptionV3 (`fid_inception_v3()`: torchvision's `Inception3(num_classes=1008,
/// aux_logits=False)` with `Mixed_5b|c|d`, `Mixed_6b..e`, `Mixed_7b|c` swapped for its FIDInception blocks), without
/// the classifier `fc`, in `MoCoInceptionSupport` table form: one line per convolution and batch norm, in
/// `named_modules()` order. Written out from that module (pytorch-fid 0.3.0 over torchvision 0.28) module by module.
enum InceptionReferenceLayers {
    static let fidInceptionV3 = """
        conv Conv2d_1a_3x3.conv 32 3 3 3 2 2 0 0
        bn Conv2d_1a_3x3.bn 32 0.001
        conv Conv2d_2a_3x3.conv 32 32 3 3 1 1 0 0
        bn Conv2d_2a_3x3.bn 32 0.001
        conv Conv2d_2b_3x3.conv 64 32 3 3 1 1 1 1
        bn Conv2d_2b_3x3.bn 64 0.001
        conv Conv2d_3b_1x1.conv 80 64 1 1 1 1 0 0
        bn Conv2d_3b_1x1.bn 80 0.001
        conv Conv2d_4a_3x3.conv 192 80 3 3 1 1 0 0
        bn Conv2d_4a_3x3.bn 192 0.001
        conv Mixed_5b.branch1x1.conv 64 192 1 1 1 1 0 0
        bn Mixed_5b.branch1x1.bn 64 0.001
        conv Mixed_5b.branch5x5_1.conv 48 192 1 1 1 1 0 0
        bn Mixed_5b.branch5x5_1.bn 48 0.001
        conv Mixed_5b.branch5x5_2.conv 64 48 5 5 1 1 2 2
        bn Mixed_5b.branch5x5_2.bn 64 0.001
        conv Mixed_5b.branch3x3dbl_1.conv 64 192 1 1 1 1 0 0
        bn Mixed_5b.branch3x3dbl_1.bn 64 0.001
        conv Mixed_5b.branch3x3dbl_2.conv 96 64 3 3 1 1 1 1
        bn Mixed_5b.branch3x3dbl_2.bn 96 0.001
        conv Mixed_5b.branch3x3dbl_3.conv 96 96 3 3 1 1 1 1
        bn Mixed_5b.branch3x3dbl_3.bn 96 0.001
        conv Mixed_5b.branch_pool.conv 32 192 1 1 1 1 0 0
        bn Mixed_5b.branch_pool.bn 32 0.001
        conv Mixed_5c.branch1x1.conv 64 256 1 1 1 1 0 0
        bn Mixed_5c.branch1x1.bn 64 0.001
        conv Mixed_5c.branch5x5_1.conv 48 256 1 1 1 1 0 0
        bn Mixed_5c.branch5x5_1.bn 48 0.001
        conv Mixed_5c.branch5x5_2.conv 64 48 5 5 1 1 2 2
        bn Mixed_5c.branch5x5_2.bn 64 0.001
        conv Mixed_5c.branch3x3dbl_1.conv 64 256 1 1 1 1 0 0
        bn Mixed_5c.branch3x3dbl_1.bn 64 0.001
        conv Mixed_5c.branch3x3dbl_2.conv 96 64 3 3 1 1 1 1
        bn Mixed_5c.branch3x3dbl_2.bn 96 0.001
        conv Mixed_5c.branch3x3dbl_3.conv 96 96 3 3 1 1 1 1
        bn Mixed_5c.branch3x3dbl_3.bn 96 0.001
        conv Mixed_5c.branch_pool.conv 64 256 1 1 1 1 0 0
        bn Mixed_5c.branch_pool.bn 64 0.001
        conv Mixed_5d.branch1x1.conv 64 288 1 1 1 1 0 0
        bn Mixed_5d.branch1x1.bn 64 0.001
        conv Mixed_5d.branch5x5_1.conv 48 288 1 1 1 1 0 0
        bn Mixed_5d.branch5x5_1.bn 48 0.001
        conv Mixed_5d.branch5x5_2.conv 64 48 5 5 1 1 2 2
        bn Mixed_5d.branch5x5_2.bn 64 0.001
        conv Mixed_5d.branch3x3dbl_1.conv 64 288 1 1 1 1 0 0
        bn Mixed_5d.branch3x3dbl_1.bn 64 0.001
        conv Mixed_5d.branch3x3dbl_2.conv 96 64 3 3 1 1 1 1
        bn Mixed_5d.branch3x3dbl_2.bn 96 0.001
        conv Mixed_5d.branch3x3dbl_3.conv 96 96 3 3 1 1 1 1
        bn Mixed_5d.branch3x3dbl_3.bn 96 0.001
        conv Mixed_5d.branch_pool.conv 64 288 1 1 1 1 0 0
        bn Mixed_5d.branch_pool.bn 64 0.001
        conv Mixed_6a.branch3x3.conv 384 288 3 3 2 2 0 0
        bn Mixed_6a.branch3x3.bn 384 0.001
        conv Mixed_6a.branch3x3dbl_1.conv 64 288 1 1 1 1 0 0
        bn Mixed_6a.branch3x3dbl_1.bn 64 0.001
        conv Mixed_6a.branch3x3dbl_2.conv 96 64 3 3 1 1 1 1
        bn Mixed_6a.branch3x3dbl_2.bn 96 0.001
        conv Mixed_6a.branch3x3dbl_3.conv 96 96 3 3 2 2 0 0
        bn Mixed_6a.branch3x3dbl_3.bn 96 0.001
        conv Mixed_6b.branch1x1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6b.branch1x1.bn 192 0.001
        conv Mixed_6b.branch7x7_1.conv 128 768 1 1 1 1 0 0
        bn Mixed_6b.branch7x7_1.bn 128 0.001
        conv Mixed_6b.branch7x7_2.conv 128 128 1 7 1 1 0 3
        bn Mixed_6b.branch7x7_2.bn 128 0.001
        conv Mixed_6b.branch7x7_3.conv 192 128 7 1 1 1 3 0
        bn Mixed_6b.branch7x7_3.bn 192 0.001
        conv Mixed_6b.branch7x7dbl_1.conv 128 768 1 1 1 1 0 0
        bn Mixed_6b.branch7x7dbl_1.bn 128 0.001
        conv Mixed_6b.branch7x7dbl_2.conv 128 128 7 1 1 1 3 0
        bn Mixed_6b.branch7x7dbl_2.bn 128 0.001
        conv Mixed_6b.branch7x7dbl_3.conv 128 128 1 7 1 1 0 3
        bn Mixed_6b.branch7x7dbl_3.bn 128 0.001
        conv Mixed_6b.branch7x7dbl_4.conv 128 128 7 1 1 1 3 0
        bn Mixed_6b.branch7x7dbl_4.bn 128 0.001
        conv Mixed_6b.branch7x7dbl_5.conv 192 128 1 7 1 1 0 3
        bn Mixed_6b.branch7x7dbl_5.bn 192 0.001
        conv Mixed_6b.branch_pool.conv 192 768 1 1 1 1 0 0
        bn Mixed_6b.branch_pool.bn 192 0.001
        conv Mixed_6c.branch1x1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6c.branch1x1.bn 192 0.001
        conv Mixed_6c.branch7x7_1.conv 160 768 1 1 1 1 0 0
        bn Mixed_6c.branch7x7_1.bn 160 0.001
        conv Mixed_6c.branch7x7_2.conv 160 160 1 7 1 1 0 3
        bn Mixed_6c.branch7x7_2.bn 160 0.001
        conv Mixed_6c.branch7x7_3.conv 192 160 7 1 1 1 3 0
        bn Mixed_6c.branch7x7_3.bn 192 0.001
        conv Mixed_6c.branch7x7dbl_1.conv 160 768 1 1 1 1 0 0
        bn Mixed_6c.branch7x7dbl_1.bn 160 0.001
        conv Mixed_6c.branch7x7dbl_2.conv 160 160 7 1 1 1 3 0
        bn Mixed_6c.branch7x7dbl_2.bn 160 0.001
        conv Mixed_6c.branch7x7dbl_3.conv 160 160 1 7 1 1 0 3
        bn Mixed_6c.branch7x7dbl_3.bn 160 0.001
        conv Mixed_6c.branch7x7dbl_4.conv 160 160 7 1 1 1 3 0
        bn Mixed_6c.branch7x7dbl_4.bn 160 0.001
        conv Mixed_6c.branch7x7dbl_5.conv 192 160 1 7 1 1 0 3
        bn Mixed_6c.branch7x7dbl_5.bn 192 0.001
        conv Mixed_6c.branch_pool.conv 192 768 1 1 1 1 0 0
        bn Mixed_6c.branch_pool.bn 192 0.001
        conv Mixed_6d.branch1x1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6d.branch1x1.bn 192 0.001
        conv Mixed_6d.branch7x7_1.conv 160 768 1 1 1 1 0 0
        bn Mixed_6d.branch7x7_1.bn 160 0.001
        conv Mixed_6d.branch7x7_2.conv 160 160 1 7 1 1 0 3
        bn Mixed_6d.branch7x7_2.bn 160 0.001
        conv Mixed_6d.branch7x7_3.conv 192 160 7 1 1 1 3 0
        bn Mixed_6d.branch7x7_3.bn 192 0.001
        conv Mixed_6d.branch7x7dbl_1.conv 160 768 1 1 1 1 0 0
        bn Mixed_6d.branch7x7dbl_1.bn 160 0.001
        conv Mixed_6d.branch7x7dbl_2.conv 160 160 7 1 1 1 3 0
        bn Mixed_6d.branch7x7dbl_2.bn 160 0.001
        conv Mixed_6d.branch7x7dbl_3.conv 160 160 1 7 1 1 0 3
        bn Mixed_6d.branch7x7dbl_3.bn 160 0.001
        conv Mixed_6d.branch7x7dbl_4.conv 160 160 7 1 1 1 3 0
        bn Mixed_6d.branch7x7dbl_4.bn 160 0.001
        conv Mixed_6d.branch7x7dbl_5.conv 192 160 1 7 1 1 0 3
        bn Mixed_6d.branch7x7dbl_5.bn 192 0.001
        conv Mixed_6d.branch_pool.conv 192 768 1 1 1 1 0 0
        bn Mixed_6d.branch_pool.bn 192 0.001
        conv Mixed_6e.branch1x1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6e.branch1x1.bn 192 0.001
        conv Mixed_6e.branch7x7_1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6e.branch7x7_1.bn 192 0.001
        conv Mixed_6e.branch7x7_2.conv 192 192 1 7 1 1 0 3
        bn Mixed_6e.branch7x7_2.bn 192 0.001
        conv Mixed_6e.branch7x7_3.conv 192 192 7 1 1 1 3 0
        bn Mixed_6e.branch7x7_3.bn 192 0.001
        conv Mixed_6e.branch7x7dbl_1.conv 192 768 1 1 1 1 0 0
        bn Mixed_6e.branch7x7dbl_1.bn 192 0.001
        conv Mixed_6e.branch7x7dbl_2.conv 192 192 7 1 1 1 3 0
        bn Mixed_6e.branch7x7dbl_2.bn 192 0.001
        conv Mixed_6e.branch7x7dbl_3.conv 192 192 1 7 1 1 0 3
        bn Mixed_6e.branch7x7dbl_3.bn 192 0.001
        conv Mixed_6e.branch7x7dbl_4.conv 192 192 7 1 1 1 3 0
        bn Mixed_6e.branch7x7dbl_4.bn 192 0.001
        conv Mixed_6e.branch7x7dbl_5.conv 192 192 1 7 1 1 0 3
        bn Mixed_6e.branch7x7dbl_5.bn 192 0.001
        conv Mixed_6e.branch_pool.conv 192 768 1 1 1 1 0 0
        bn Mixed_6e.branch_pool.bn 192 0.001
        conv Mixed_7a.branch3x3_1.conv 192 768 1 1 1 1 0 0
        bn Mixed_7a.branch3x3_1.bn 192 0.001
        conv Mixed_7a.branch3x3_2.conv 320 192 3 3 2 2 0 0
        bn Mixed_7a.branch3x3_2.bn 320 0.001
        conv Mixed_7a.branch7x7x3_1.conv 192 768 1 1 1 1 0 0
        bn Mixed_7a.branch7x7x3_1.bn 192 0.001
        conv Mixed_7a.branch7x7x3_2.conv 192 192 1 7 1 1 0 3
        bn Mixed_7a.branch7x7x3_2.bn 192 0.001
        conv Mixed_7a.branch7x7x3_3.conv 192 192 7 1 1 1 3 0
        bn Mixed_7a.branch7x7x3_3.bn 192 0.001
        conv Mixed_7a.branch7x7x3_4.conv 192 192 3 3 2 2 0 0
        bn Mixed_7a.branch7x7x3_4.bn 192 0.001
        conv Mixed_7b.branch1x1.conv 320 1280 1 1 1 1 0 0
        bn Mixed_7b.branch1x1.bn 320 0.001
        conv Mixed_7b.branch3x3_1.conv 384 1280 1 1 1 1 0 0
        bn Mixed_7b.branch3x3_1.bn 384 0.001
        conv Mixed_7b.branch3x3_2a.conv 384 384 1 3 1 1 0 1
        bn Mixed_7b.branch3x3_2a.bn 384 0.001
        conv Mixed_7b.branch3x3_2b.conv 384 384 3 1 1 1 1 0
        bn Mixed_7b.branch3x3_2b.bn 384 0.001
        conv Mixed_7b.branch3x3dbl_1.conv 448 1280 1 1 1 1 0 0
        bn Mixed_7b.branch3x3dbl_1.bn 448 0.001
        conv Mixed_7b.branch3x3dbl_2.conv 384 448 3 3 1 1 1 1
        bn Mixed_7b.branch3x3dbl_2.bn 384 0.001
        conv Mixed_7b.branch3x3dbl_3a.conv 384 384 1 3 1 1 0 1
        bn Mixed_7b.branch3x3dbl_3a.bn 384 0.001
        conv Mixed_7b.branch3x3dbl_3b.conv 384 384 3 1 1 1 1 0
        bn Mixed_7b.branch3x3dbl_3b.bn 384 0.001
        conv Mixed_7b.branch_pool.conv 192 1280 1 1 1 1 0 0
        bn Mixed_7b.branch_pool.bn 192 0.001
        conv Mixed_7c.branch1x1.conv 320 2048 1 1 1 1 0 0
        bn Mixed_7c.branch1x1.bn 320 0.001
        conv Mixed_7c.branch3x3_1.conv 384 2048 1 1 1 1 0 0
        bn Mixed_7c.branch3x3_1.bn 384 0.001
        conv Mixed_7c.branch3x3_2a.conv 384 384 1 3 1 1 0 1
        bn Mixed_7c.branch3x3_2a.bn 384 0.001
        conv Mixed_7c.branch3x3_2b.conv 384 384 3 1 1 1 1 0
        bn Mixed_7c.branch3x3_2b.bn 384 0.001
        conv Mixed_7c.branch3x3dbl_1.conv 448 2048 1 1 1 1 0 0
        bn Mixed_7c.branch3x3dbl_1.bn 448 0.001
        conv Mixed_7c.branch3x3dbl_2.conv 384 448 3 3 1 1 1 1
        bn Mixed_7c.branch3x3dbl_2.bn 384 0.001
        conv Mixed_7c.branch3x3dbl_3a.conv 384 384 1 3 1 1 0 1
        bn Mixed_7c.branch3x3dbl_3a.bn 384 0.001
        conv Mixed_7c.branch3x3dbl_3b.conv 384 384 3 1 1 1 1 0
        bn Mixed_7c.branch3x3dbl_3b.bn 384 0.001
        conv Mixed_7c.branch_pool.conv 192 2048 1 1 1 1 0 0
        bn Mixed_7c.branch_pool.bn 192 0.001
        """
}
