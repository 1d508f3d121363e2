"""Module contract checks and README input/output tables.

For every module under modules/ and the root module in terraform/:
- each variable has a `type` and a non-empty `description`, written before its `default`;
- each output has a description; variables and outputs named like secrets are `sensitive = true`;
- the README section between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (terraform-docs' markers)
  equals the tables generated from the variables and outputs (`toolkit check --docs --write` rewrites it);
- every example (`examples/NAME`) is linked from the module's README (`[NAME](examples/NAME)`) and documents
  its outputs;
- every `module` block with a local source (examples, the root module) passes only arguments the called
  module declares and every variable that has no default.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from toolkit.checks.findings import FAILED, CheckResult, Finding, relative
from toolkit.checks.hcl import Block, HclFile, HclParseError, parse_file, string_value, terraform_files
from toolkit.secrets import is_secret_name
from toolkit.text import md_cell

BEGIN_MARKER = "<!-- BEGIN_TF_DOCS -->"
END_MARKER = "<!-- END_TF_DOCS -->"
MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
SKIPPED_DIRECTORIES = {".terraform", ".git", "node_modules"}


@dataclass
class Variable:
    name: str
    path: Path
    line: int
    description: str | None
    type: str | None
    default: str | None
    sensitive: bool
    order: list[str]


@dataclass
class Output:
    name: str
    path: Path
    line: int
    description: str | None
    sensitive: bool


@dataclass
class ModuleInterface:
    """What a module declares, read from its .tf files (not recursive)."""

    directory: Path
    variables: list[Variable]
    outputs: list[Output]
    files: list[HclFile]


def looks_secret(name: str) -> bool:
    """`master_password`, `auth_token`, `secret_string` are secrets; `secret_arn`, `create_secret` are not."""
    return is_secret_name(name)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def read_module(directory: Path) -> ModuleInterface:
    variables: list[Variable] = []
    outputs: list[Output] = []
    files = [parse_file(path) for path in terraform_files(directory)]
    for parsed in files:
        for block in parsed.body.blocks:
            if block.type == "variable" and block.labels:
                arguments = block.arguments
                variables.append(
                    Variable(
                        name=block.labels[0],
                        path=parsed.path,
                        line=block.line,
                        description=_description(block),
                        type=arguments["type"].expression if "type" in arguments else None,
                        default=arguments["default"].expression if "default" in arguments else None,
                        sensitive="sensitive" in arguments and arguments["sensitive"].expression.strip() == "true",
                        order=[argument.name for argument in block.argument_order],
                    )
                )
            elif block.type == "output" and block.labels:
                outputs.append(
                    Output(
                        name=block.labels[0],
                        path=parsed.path,
                        line=block.line,
                        description=_description(block),
                        sensitive="sensitive" in block.arguments
                        and block.arguments["sensitive"].expression.strip() == "true",
                    )
                )
    return ModuleInterface(directory=directory, variables=variables, outputs=outputs, files=files)


def _description(block: Block) -> str | None:
    argument = block.arguments.get("description")
    if argument is None:
        return None
    value = string_value(argument.expression)
    return value if value is not None else argument.expression


def _cell(text: str) -> str:
    return md_cell(_one_line(text))


def _code(text: str) -> str:
    value = _one_line(text).replace("|", "\\|")
    return f"`{value}`" if "`" not in value else f"<code>{value}</code>"


def render_docs(module: ModuleInterface) -> str:
    """The generated README section, markers included (same layout as terraform-docs' markdown table)."""
    lines = [BEGIN_MARKER, "## Inputs", ""]
    if module.variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for variable in sorted(module.variables, key=lambda item: item.name):
            required = variable.default is None
            lines.append(
                f"| `{variable.name}` | {_cell(variable.description or '')} | {_code(variable.type or 'any')} | "
                f"{'n/a' if required else _code(variable.default or '')} | {'yes' if required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if module.outputs:
        lines += ["| Name | Description | Sensitive |", "|------|-------------|:---------:|"]
        for output in sorted(module.outputs, key=lambda item: item.name):
            lines.append(
                f"| `{output.name}` | {_cell(output.description or '')} | {'yes' if output.sensitive else 'no'} |"
            )
    else:
        lines.append("No outputs.")
    lines.append(END_MARKER)
    return "\n".join(lines)


def _current_section(readme_text: str) -> str | None:
    start = readme_text.find(BEGIN_MARKER)
    end = readme_text.find(END_MARKER)
    if start < 0 or end < start:
        return None
    return readme_text[start : end + len(END_MARKER)]


def update_readme(module: ModuleInterface) -> bool:
    """Rewrite the README's generated section (appending it, or creating the README); True if changed."""
    readme = module.directory / "README.md"
    generated = render_docs(module)
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        current = _current_section(text)
        if current is None:
            updated = text.rstrip("\n") + "\n\n" + generated + "\n"
        else:
            updated = text.replace(current, generated, 1)
    else:
        text = ""
        updated = f"# {module.directory.name}\n\n{generated}\n"
    if updated == text:
        return False
    readme.write_text(updated, encoding="utf-8")
    return True


def module_directories(modules_dir: Path, root_module: Path | None) -> list[Path]:
    """modules/<name>/ folders holding .tf files, then the root module (if it has .tf files)."""
    found = []
    if modules_dir.is_dir():
        found = [path for path in sorted(modules_dir.iterdir()) if path.is_dir() and terraform_files(path)]
    if root_module is not None and root_module.is_dir() and terraform_files(root_module):
        found.append(root_module)
    return found


def example_directories(module_dir: Path) -> list[Path]:
    """The module's examples: examples/* folders holding .tf files."""
    return [path for path in sorted((module_dir / "examples").glob("*")) if path.is_dir() and terraform_files(path)]


def example_line(example: Path) -> str:
    """`- [NAME](examples/NAME): its main.tf's leading comment`, the README line `--write` adds for an example."""
    main = example / "main.tf"
    comment: list[str] = []
    for line in (main.read_text(encoding="utf-8").splitlines() if main.is_file() else []):
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    described = " ".join(part for part in comment if part)
    return f"- [{example.name}](examples/{example.name})" + (f": {described}" if described else "")


def _with_example_lines(text: str, examples: list[Path]) -> str:
    """The README with one line per example added after its last example link, else before the generated
    tables (at the end without them)."""
    added = "".join(f"{example_line(example)}\n" for example in examples)
    lines = text.splitlines(keepends=True)
    linked = [index for index, line in enumerate(lines) if "](examples/" in line]
    if linked:
        after = linked[-1] + 1
        return "".join(lines[:after]) + ("" if lines[linked[-1]].endswith("\n") else "\n") + added + "".join(
            lines[after:])
    position = text.find(BEGIN_MARKER)
    if position < 0:
        return text.rstrip("\n") + "\n\n" + added
    return text[:position] + added + "\n" + text[position:]


def _directories_with_tf(directories: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        candidates = [directory, *sorted(path for path in directory.rglob("*") if path.is_dir())]
        for candidate in candidates:
            if SKIPPED_DIRECTORIES.intersection(candidate.parts):
                continue
            if terraform_files(candidate):
                found.append(candidate)
    return found


class _ContractChecker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.interfaces: dict[Path, ModuleInterface] = {}

    def report(self, path: Path, line: int, address: str, message: str) -> None:
        self.findings.append(Finding(relative(path, self.root), line, address, message))

    def interface(self, directory: Path) -> ModuleInterface:
        key = directory.resolve()
        if key not in self.interfaces:
            self.interfaces[key] = read_module(directory)
        return self.interfaces[key]

    def declarations(self, module: ModuleInterface) -> None:
        for variable in module.variables:
            address = f"var.{variable.name}"
            if variable.type is None:
                self.report(variable.path, variable.line, address, "variable has no type")
            if not (variable.description or "").strip():
                self.report(variable.path, variable.line, address, "variable has no description")
            elif "default" in variable.order and variable.order.index("description") > variable.order.index("default"):
                self.report(variable.path, variable.line, address, "description comes after default: write it first")
            if looks_secret(variable.name) and not variable.sensitive:
                self.report(variable.path, variable.line, address, "name suggests a secret: set `sensitive = true`")
        for output in module.outputs:
            address = f"output.{output.name}"
            if not (output.description or "").strip():
                self.report(output.path, output.line, address, "output has no description")
            if looks_secret(output.name) and not output.sensitive:
                self.report(output.path, output.line, address, "name suggests a secret: set `sensitive = true`")

    def readme(self, module: ModuleInterface, write: bool) -> bool:
        readme = module.directory / "README.md"
        if write:
            changed = update_readme(module)
            return self.example_links(module, write) or changed
        if not readme.is_file():
            self.report(readme, 0, "", "missing: run `toolkit check --docs --write` to generate it")
            return False
        current = _current_section(readme.read_text(encoding="utf-8"))
        if current is None:
            self.report(
                readme,
                0,
                "",
                f"no {BEGIN_MARKER} … {END_MARKER} section: run `toolkit check --docs --write` to add it",
            )
        elif current != render_docs(module):
            self.report(readme, 0, "", "inputs/outputs tables are out of date: run `toolkit check --docs --write`")
        self.example_links(module, write)
        return False

    def example_links(self, module: ModuleInterface, write: bool) -> bool:
        """Each example (examples/NAME/*.tf) is linked from the module's README with one line (`--write` adds the
        missing ones, described by the example's leading comment: _with_example_lines); its outputs are documented
        like the module's. True when the README was rewritten."""
        readme = module.directory / "README.md"
        examples = example_directories(module.directory)
        wrote = False
        if readme.is_file():
            text = readme.read_text(encoding="utf-8")
            missing = [example for example in examples if f"](examples/{example.name})" not in text]
            if missing and write:
                readme.write_text(_with_example_lines(text, missing), encoding="utf-8")
                wrote = True
            else:
                for example in missing:
                    self.report(readme, 0, "", f"does not link the example examples/{example.name}: run "
                                               "`toolkit check --docs --write` to add its line")
        for example in examples:
            for output in self.interface(example).outputs:
                if not (output.description or "").strip():
                    self.report(output.path, output.line, f"output.{output.name}", "output has no description")
        return wrote

    def module_calls(self, directory: Path) -> int:
        calls = 0
        for parsed in self.interface(directory).files:
            for block in parsed.body.blocks:
                if block.type != "module" or not block.labels or "source" not in block.arguments:
                    continue
                source = string_value(block.arguments["source"].expression) or ""
                if not source.startswith(("./", "../")):
                    continue
                calls += 1
                self._module_call(parsed.path, block, directory / source, source)
        return calls

    def _module_call(self, path: Path, block: Block, target: Path, source: str) -> None:
        address = f"module.{block.labels[0]}"
        if not target.is_dir() or not terraform_files(target):
            self.report(path, block.line, address, f'source "{source}" is not a module directory')
            return
        try:
            called = self.interface(target)
        except HclParseError as error:
            self.report(path, block.line, address, f'cannot read module "{source}": {error.reason}')
            return
        declared = {variable.name: variable for variable in called.variables}
        for argument in block.argument_order:
            if argument.name in MODULE_META_ARGUMENTS or argument.name in declared:
                continue
            close = difflib.get_close_matches(argument.name, list(declared), n=1, cutoff=0.75)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            self.report(
                path,
                argument.line,
                address,
                f'unknown argument "{argument.name}": module "{source}" declares no such variable{hint}',
            )
        for name, variable in declared.items():
            if variable.default is None and name not in block.arguments:
                self.report(path, block.line, address, f'missing required argument "{name}" (no default in "{source}")')


def run_contract_check(
    root: Path, modules_dir: Path, root_module: Path | None, *, write_docs: bool = False
) -> CheckResult:
    """Check declarations and READMEs of every module, and every local module call (examples included)."""
    started = time.perf_counter()
    result = CheckResult(name="contract")
    checker = _ContractChecker(root)
    modules = module_directories(modules_dir, root_module)
    variables = outputs = rewritten = calls = 0
    for directory in modules:
        try:
            module = checker.interface(directory)
        except HclParseError as error:
            checker.findings.append(error.finding(relative(error.path, root)))
            continue
        variables += len(module.variables)
        outputs += len(module.outputs)
        checker.declarations(module)
        # The root module's README is optional; modules must document their interface.
        has_readme_duty = directory != root_module or (directory / "README.md").is_file()
        if has_readme_duty and checker.readme(module, write_docs):
            rewritten += 1
            result.notes.append(f"rewrote {relative(directory / 'README.md', root)}")
    for directory in _directories_with_tf([modules_dir, *([root_module] if root_module else [])]):
        try:
            calls += checker.module_calls(directory)
        except HclParseError as error:
            checker.findings.append(error.finding(relative(error.path, root)))
    result.findings = checker.findings
    result.counts = {
        "modules": len(modules),
        "variables": variables,
        "outputs": outputs,
        "module_calls": calls,
        "errors": len(result.errors),
    }
    if write_docs:
        result.counts["readmes_rewritten"] = rewritten
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result
