#pragma once
#include <string_view>

// Media types and annotation keys of the OCI, Docker and wasm-module formats we read or write.
namespace wasme::oci::media_type {

inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list = "application/vnd.docker.distribution.manifest.list.v2+json";

// Current wasme format (wasme-facts §2).
inline constexpr std::string_view wasm_config = "application/vnd.module.wasm.config.v1+json";
inline constexpr std::string_view wasm_layer = "application/vnd.module.wasm.content.layer.v1+wasm";
// The 2019 format (wasme-facts §2.1).
inline constexpr std::string_view solo_config = "application/vnd.io.solo.wasm.config.v1+json";
inline constexpr std::string_view solo_code = "application/vnd.io.solo.wasm.code.v1+wasm";
inline constexpr std::string_view solo_proto = "application/vnd.io.solo.wasm.code.v1+protobuf";
// The CNCF TAG Runtime "Wasm OCI Artifact" layout (cncf/tag-runtime
// wgs/wasm/deliverables/wasm-oci-artifact/index.md; bytecodealliance/rust-oci-wasm v0.4.0
// src/lib.rs): this config, one layer of raw wasm. docs/LAYOUTS.md.
inline constexpr std::string_view cncf_wasm_config = "application/vnd.wasm.config.v0+json";
inline constexpr std::string_view cncf_wasm_layer = "application/wasm";
// The compat variant (wasme-facts §2.2).
inline constexpr std::string_view oci_layer_tar_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view docker_layer_tar_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view oci_image_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view docker_image_config = "application/vnd.docker.container.image.v1+json";
// Plain tar layers (containerd core/images/mediatypes.go IsLayerType also takes these).
inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_tar_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view docker_layer_tar = "application/vnd.docker.image.rootfs.diff.tar";

}  // namespace wasme::oci::media_type

namespace wasme::oci::annotation {

inline constexpr std::string_view title = "org.opencontainers.image.title";
inline constexpr std::string_view ref_name = "org.opencontainers.image.ref.name";
inline constexpr std::string_view created = "org.opencontainers.image.created";
inline constexpr std::string_view abi_version = "module.wasm.runtime/abi_version";
inline constexpr std::string_view runtime_type = "module.wasm.runtime/type";
inline constexpr std::string_view variant = "module.wasm.image/variant";

}  // namespace wasme::oci::annotation
