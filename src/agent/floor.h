// `otelbpf floor`: empty programs on the capture hooks, for the overhead benchmark's floor.
#pragma once

namespace otelbpf {
int RunFloor();
}
