// RUN: dnn-opt %s --pass-pipeline='builtin.module(func.func(convert-dnn-to-linalg))' | FileCheck %s

// dropout: the site's 64-bit key (splitmix64 of key + (site + 1) * golden
// ratio) is computed once outside the loop; the one elementwise generic
// hashes each element's 64-bit row-major index with it (the index's low word
// in the first round, its high word in the second) and keeps the element,
// scaled by 1 / (1 - p), when the hash is at least round(p * 2^32).

// CHECK-LABEL: func.func @dropout(
// CHECK-SAME:      %[[X:.*]]: tensor<?x3xf32>, %[[KEY:.*]]: tensor<i64>)
// CHECK:         %[[K:.*]] = tensor.extract %[[KEY]][] : tensor<i64>
// (site 1: 2 * 0x9E3779B97F4A7C15 mod 2^64)
// CHECK:         %[[SITE:.*]] = arith.constant 4354685564936845354 : i64
// CHECK:         arith.addi %[[K]], %[[SITE]] : i64
// CHECK:         %[[LO:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK:         %[[HI:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK:         %[[ROW:.*]] = arith.muli %{{.*}}, %{{.*}} : i64
// CHECK-DAG:     %[[SCALE:.*]] = arith.constant 1.33333337 : f32
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[THRESHOLD:.*]] = arith.constant 1073741824 : i32
// CHECK:         %[[OUT:.*]] = linalg.generic
// CHECK-SAME:        iterator_types = ["parallel", "parallel"]
// CHECK-SAME:        ins(%[[X]] : tensor<?x3xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           linalg.index 0
// CHECK:           arith.muli %{{.*}}, %[[ROW]] : i64
// CHECK:           linalg.index 1
// CHECK:           %[[INDEX:.*]] = arith.addi %{{.*}} : i64
// CHECK:           %[[INDEX_LO:.*]] = arith.trunci %[[INDEX]] : i64 to i32
// CHECK:           %[[SHIFTED:.*]] = arith.shrui %[[INDEX]], %{{.*}} : i64
// CHECK:           %[[INDEX_HI:.*]] = arith.trunci %[[SHIFTED]] : i64 to i32
// CHECK:           %[[SCALED_LO:.*]] = arith.muli %[[INDEX_LO]], %[[GOLDEN:.*]] : i32
// CHECK:           %[[SEEDED:.*]] = arith.addi %[[SCALED_LO]], %[[LO]] : i32
// CHECK:           %[[KEYED:.*]] = arith.xori %{{.*}}, %[[HI]] : i32
// CHECK:           %[[SCALED_HI:.*]] = arith.muli %[[INDEX_HI]], %[[GOLDEN]] : i32
// CHECK:           arith.xori %[[KEYED]], %[[SCALED_HI]] : i32
// CHECK:           %[[KEEP:.*]] = arith.cmpi uge, %{{.*}}, %[[THRESHOLD]] : i32
// CHECK:           %[[FACTOR:.*]] = arith.select %[[KEEP]], %[[SCALE]], %[[ZERO]] : f32
// CHECK:           %[[Y:.*]] = arith.mulf %[[IN]], %[[FACTOR]] : f32
// CHECK:           linalg.yield %[[Y]] : f32
// CHECK:         return %[[OUT]]
func.func @dropout(%x: tensor<?x3xf32>, %key: tensor<i64>) -> tensor<?x3xf32> {
  %0 = dnn.dropout %x key %key p 2.500000e-01 site 1 : tensor<?x3xf32>, tensor<i64>
  return %0 : tensor<?x3xf32>
}
