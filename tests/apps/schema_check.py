"""A JSON Schema checker for the subset docs/schema/*.schema.json use (standard library only):
type (one or a list), const, enum, properties, required, additionalProperties false, items, oneOf, and
$ref to "#/$defs/NAME". Returns a list of problems, each naming the path ("" when the value conforms)."""

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
KNOWN = {"$schema", "$id", "title", "description", "$defs", "type", "const", "enum", "properties", "required",
         "additionalProperties", "items", "oneOf", "$ref"}


def problems(value, schema, root=None, path="$"):
    root = root or schema
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{path}: schema uses unsupported keywords {sorted(unknown)}"]
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return problems(value, root["$defs"][name], root, path)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not problems(value, s, root, path)]
        if len(matches) != 1:
            return [f"{path}: matches {len(matches)} of the oneOf alternatives, expected exactly 1"]
        return []
    out = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            return [f"{path}: {value!r} is not of type {types}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing key {key!r}")
        for key, item in value.items():
            if key in props:
                out += problems(item, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: key {key!r} is not in the schema")
        if "properties" in schema and list(k for k in value if k in props) != [k for k in props if k in value]:
            out.append(f"{path}: keys out of the documented order: {list(value)}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += problems(item, schema["items"], root, f"{path}[{i}]")
    return out
