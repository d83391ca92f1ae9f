// The shim builds as one translation unit. Each part alone spends ~15 s parsing the ATen headers, so the ten parts
// compiled separately cost ~150 s of CPU and one unit ~30 s; the parts stay one concept per file (Package.swift
// excludes `parts/` from the sources, so nothing compiles twice).
#include "parts/autograd.cpp"
#include "parts/calibration.cpp"
#include "parts/core.cpp"
#include "parts/creation.cpp"
#include "parts/functional.cpp"
#include "parts/linalg.cpp"
#include "parts/math.cpp"
#include "parts/runtime.cpp"
#include "parts/shape.cpp"
#include "parts/upfirdn.cpp"
