# Builds eBPF objects with clang and turns each into a libbpf skeleton header.
# vmlinux.h comes from the running kernel's BTF (CO-RE relocates the rest at load time).

find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)

set(OTELBPF_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")
set(OTELBPF_SKELETON_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${OTELBPF_SKELETON_DIR})

if(NOT EXISTS ${OTELBPF_VMLINUX_BTF})
  message(FATAL_ERROR
    "otelbpf needs kernel BTF to build its eBPF programs, and ${OTELBPF_VMLINUX_BTF} does not exist.\n"
    "Use a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass -DOTELBPF_VMLINUX_BTF=<path to a BTF file>.")
endif()

set(OTELBPF_VMLINUX_H ${OTELBPF_SKELETON_DIR}/vmlinux.h)
add_custom_command(
  OUTPUT ${OTELBPF_VMLINUX_H}
  COMMAND ${BPFTOOL} btf dump file ${OTELBPF_VMLINUX_BTF} format c > ${OTELBPF_VMLINUX_H}.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${OTELBPF_VMLINUX_H}.tmp ${OTELBPF_VMLINUX_H}
  COMMENT "Generating vmlinux.h from ${OTELBPF_VMLINUX_BTF}"
  VERBATIM)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(OTELBPF_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(OTELBPF_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture for eBPF build: ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(otelbpf_add_bpf_skeletons target dir)
  file(GLOB bpf_sources CONFIGURE_DEPENDS ${dir}/*.bpf.c)
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${dir}/include/*.h ${dir}/*.h ${dir}/protocols/*.h)
  set(outputs)
  foreach(src ${bpf_sources})
    get_filename_component(name ${src} NAME_WE)
    set(obj ${OTELBPF_SKELETON_DIR}/${name}.bpf.o)
    set(skel ${OTELBPF_SKELETON_DIR}/${name}.skel.h)
    add_custom_command(
      OUTPUT ${skel}
      COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${OTELBPF_BPF_ARCH}
              -Wall -Werror -Wno-unused-function
              -I${OTELBPF_SKELETON_DIR} -I${dir}/include -I${dir}
              -c ${src} -o ${obj}
      COMMAND ${BPFTOOL} gen object ${obj}.linked ${obj}
      COMMAND ${BPFTOOL} gen skeleton ${obj}.linked name ${name} > ${skel}.tmp
      COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
      DEPENDS ${src} ${bpf_headers} ${OTELBPF_VMLINUX_H}
      COMMENT "Building eBPF skeleton ${name}"
      VERBATIM)
    list(APPEND outputs ${skel})
  endforeach()
  add_custom_target(${target} DEPENDS ${outputs})
endfunction()
