# Compiles our own OTLP .proto subset (proto/) into the otelbpf_proto library, with gRPC stubs
# for files that declare services.
find_program(PROTOC protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(OTELBPF_PROTO_ROOT ${CMAKE_SOURCE_DIR}/proto)
set(OTELBPF_PROTO_OUT ${CMAKE_BINARY_DIR}/proto)
file(MAKE_DIRECTORY ${OTELBPF_PROTO_OUT})
file(GLOB_RECURSE OTELBPF_PROTO_FILES CONFIGURE_DEPENDS ${OTELBPF_PROTO_ROOT}/*.proto)

set(OTELBPF_PROTO_SOURCES)
foreach(proto ${OTELBPF_PROTO_FILES})
  file(RELATIVE_PATH rel ${OTELBPF_PROTO_ROOT} ${proto})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  set(outs ${OTELBPF_PROTO_OUT}/${base}.pb.cc ${OTELBPF_PROTO_OUT}/${base}.pb.h)
  set(grpc_args)
  file(STRINGS ${proto} has_service REGEX "^service ")
  if(has_service)
    list(APPEND outs ${OTELBPF_PROTO_OUT}/${base}.grpc.pb.cc ${OTELBPF_PROTO_OUT}/${base}.grpc.pb.h)
    set(grpc_args --grpc_out=${OTELBPF_PROTO_OUT} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${outs}
    COMMAND ${PROTOC} -I${OTELBPF_PROTO_ROOT} --cpp_out=${OTELBPF_PROTO_OUT} ${grpc_args} ${proto}
    DEPENDS ${proto}
    COMMENT "protoc ${rel}"
    VERBATIM)
  foreach(o ${outs})
    if(o MATCHES "\\.cc$")
      list(APPEND OTELBPF_PROTO_SOURCES ${o})
    endif()
  endforeach()
endforeach()

add_library(otelbpf_proto STATIC ${OTELBPF_PROTO_SOURCES})
target_include_directories(otelbpf_proto PUBLIC ${OTELBPF_PROTO_OUT})
target_link_libraries(otelbpf_proto PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
