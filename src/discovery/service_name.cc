#include "discovery/service_name.h"

#include <initializer_list>

namespace otelbpf {
namespace {

enum class Interpreter { kNone, kPython, kNode, kJava, kRuby, kPerl, kPhp };

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The folder a file is in ("" at the top).
std::string_view ParentName(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  return BaseName(path.substr(0, slash));
}

// "python3", "python3.11", "python" (and not "python3-config"): a name and an optional version.
bool IsVersionedName(std::string_view name, std::string_view stem) {
  if (!StartsWith(name, stem)) return false;
  for (char c : name.substr(stem.size()))
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

Interpreter InterpreterNamed(std::string_view name) {
  if (IsVersionedName(name, "python") || IsVersionedName(name, "pypy")) return Interpreter::kPython;
  if (name == "node" || name == "nodejs") return Interpreter::kNode;
  if (name == "java") return Interpreter::kJava;
  if (IsVersionedName(name, "ruby")) return Interpreter::kRuby;
  if (IsVersionedName(name, "perl")) return Interpreter::kPerl;
  if (IsVersionedName(name, "php")) return Interpreter::kPhp;
  return Interpreter::kNone;
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (std::string_view o : options)
    if (s == o) return true;
  return false;
}

// Options of each interpreter that take the next argument as their value.
bool TakesValue(Interpreter in, std::string_view option) {
  switch (in) {
    case Interpreter::kPython: return OneOf(option, {"-W", "-X", "-Q", "--check-hash-based-pycs"});
    case Interpreter::kNode: return OneOf(option, {"-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--title", "--conditions", "-C"});
    case Interpreter::kJava: return OneOf(option, {"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads", "--limit-modules", "--upgrade-module-path"});
    case Interpreter::kRuby: return OneOf(option, {"-I", "-r", "-C", "-E", "--encoding"});
    case Interpreter::kPerl: return OneOf(option, {"-I", "-M", "-m", "-x"});
    case Interpreter::kPhp: return OneOf(option, {"-c", "-d", "-z", "-t"});
    case Interpreter::kNone: return false;
  }
  return false;
}

// Options that mean "the program is given inline": no script to name the service after.
bool IsInlineCode(Interpreter in, std::string_view option) {
  switch (in) {
    case Interpreter::kPython: return option == "-c";
    case Interpreter::kNode: return OneOf(option, {"-e", "--eval", "-p", "--print"});
    case Interpreter::kRuby:
    case Interpreter::kPerl: return option == "-e" || option == "-E";
    case Interpreter::kPhp: return option == "-r";
    default: return false;
  }
}

std::string_view WithoutExtension(std::string_view name,
                                  std::initializer_list<std::string_view> extensions) {
  for (std::string_view ext : extensions) {
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
      return name.substr(0, name.size() - ext.size());
  }
  return name;
}

// A script's name; an entry file that only marks a package is named by its folder.
std::string_view ScriptName(Interpreter in, std::string_view path) {
  std::string_view name;
  switch (in) {
    case Interpreter::kPython: name = WithoutExtension(BaseName(path), {".py", ".pyz"}); break;
    case Interpreter::kNode: name = WithoutExtension(BaseName(path), {".js", ".mjs", ".cjs", ".ts"}); break;
    case Interpreter::kRuby: name = WithoutExtension(BaseName(path), {".rb"}); break;
    case Interpreter::kPerl: name = WithoutExtension(BaseName(path), {".pl"}); break;
    case Interpreter::kPhp: name = WithoutExtension(BaseName(path), {".php"}); break;
    default: name = BaseName(path);
  }
  const bool entry_file = (in == Interpreter::kPython && name == "__main__") ||
                          (in == Interpreter::kNode && name == "index");
  if (entry_file && !ParentName(path).empty()) return ParentName(path);
  return name;
}

// A java argument that is not an option is the main class: its simple name.
std::string_view JavaMainClass(std::string_view program) {
  const size_t dot = program.rfind('.');
  return dot == std::string_view::npos ? program : program.substr(dot + 1);
}

// What an interpreter runs, or "" (inline code, a REPL, nothing recognisable).
std::string_view InterpretedProgram(Interpreter in, const std::vector<std::string_view>& argv) {
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string_view a = argv[i];
    if (a.empty()) continue;
    if (a == "--") return i + 1 < argv.size() ? ScriptName(in, argv[i + 1]) : std::string_view{};
    if (a == "-") return {};  // the program comes on standard input
    if (a[0] != '-') return in == Interpreter::kJava ? JavaMainClass(a) : ScriptName(in, a);
    if (IsInlineCode(in, a)) return {};
    if (in == Interpreter::kPython && StartsWith(a, "-m"))
      return a.size() > 2 ? a.substr(2) : (i + 1 < argv.size() ? argv[i + 1] : std::string_view{});
    if (in == Interpreter::kJava && a == "-jar")
      return i + 1 < argv.size() ? WithoutExtension(BaseName(argv[i + 1]), {".jar"})
                                 : std::string_view{};
    if (in == Interpreter::kJava && (a == "-m" || a == "--module")) {
      if (i + 1 >= argv.size()) return {};
      std::string_view module = argv[i + 1];  // module[/main.Class]
      const size_t slash = module.find('/');
      if (slash == std::string_view::npos) return module;
      return JavaMainClass(module.substr(slash + 1));
    }
    if (in == Interpreter::kPhp && a == "-f")
      return i + 1 < argv.size() ? ScriptName(in, argv[i + 1]) : std::string_view{};
    if (TakesValue(in, a)) ++i;
  }
  return {};
}

// The program's name in argv[0]: its first word (title-rewriting servers append their role),
// without a login shell's '-' or a trailing ':'.
std::string_view ProgramNameOf(std::string_view argv0) {
  argv0 = argv0.substr(0, argv0.find(' '));
  std::string_view name = BaseName(argv0);
  if (StartsWith(name, "-")) name.remove_prefix(1);
  while (!name.empty() && name.back() == ':') name.remove_suffix(1);
  return name;
}

}  // namespace

std::string ServiceNameFromCommand(const std::vector<std::string_view>& argv,
                                   std::string_view executable_name) {
  const std::string_view run_as = argv.empty() ? std::string_view{} : ProgramNameOf(argv[0]);
  // An interpreter whose argv[0] is not the interpreter's name renamed itself after what it
  // runs (setproctitle): that name is the answer.
  const Interpreter in = InterpreterNamed(run_as.empty() ? executable_name : run_as);
  if (in != Interpreter::kNone) {
    const std::string_view program = InterpretedProgram(in, argv);
    if (!program.empty()) return std::string(program);
  }
  if (!run_as.empty()) return std::string(run_as);
  return std::string(executable_name);
}

}  // namespace otelbpf
