import AWS
import Foundation

/// Checks recorded requests against the official AWS API models that botocore ships
/// (`botocore/data/<service>/<version>/service-2.json`): the operation exists, the protocol's envelope is right
/// (`X-Amz-Target` and content type, `Action` and `Version`, method and URI), every member exists in the input
/// shape, required members are present, and the values pass botocore's own parameter validation.
enum APIModel {
    /// The problems botocore finds with `request` as a call of `service`'s `operation`; empty when it conforms.
    static func problems(with request: AWSHTTPRequest, service: String, operation: String) async throws -> [String] {
        let description: [String: Any] = [
            "service": service, "operation": operation, "method": request.method, "path": request.path,
            "query": request.query.map { [$0.name, $0.value] }, "headers": request.headers,
            "body": String(decoding: request.body, as: UTF8.self),
        ]
        let input = String(decoding: try JSONSerialization.data(withJSONObject: description), as: UTF8.self)
        let output = try await runPython(checker, input: input)
        return output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    private static let checker = #"""
        import json, re, sys, urllib.parse, xml.etree.ElementTree as ET
        from botocore.loaders import Loader
        from botocore.model import ServiceModel
        from botocore.validate import validate_parameters
        from botocore.exceptions import ParamValidationError
        from botocore.utils import parse_timestamp

        req = json.load(sys.stdin)
        model = ServiceModel(Loader().load_service_model(req["service"], "service-2"), req["service"])
        problems = []
        if req["operation"] not in model.operation_names:
            print("no operation %s in the %s model" % (req["operation"], req["service"])); sys.exit(0)
        op = model.operation_model(req["operation"])
        shape = op.input_shape
        protocol = model.metadata["protocol"]
        protocols = model.metadata.get("protocols", [protocol])
        headers = req["headers"]

        def convert(s, text):
            t = s.type_name
            if t == "boolean":
                if text not in ("true", "false"): problems.append("%s is not a boolean: %r" % (s.name, text))
                return text == "true"
            if t in ("integer", "long"): return int(text)
            if t in ("double", "float"): return float(text)
            if t == "timestamp": return parse_timestamp(text)
            return text

        def put(s, parts, text, target, path):
            if s.type_name == "structure":
                name = parts[0]
                if name not in s.members:
                    problems.append("member %s%s is not in shape %s" % (path, name, s.name)); return None
                member = s.members[name]
                if len(parts) == 1: target[name] = convert(member, text)
                else:
                    default = [] if member.type_name == "list" else {}
                    target.setdefault(name, default)
                    put(member, parts[1:], text, target[name], path + name + ".")
            elif s.type_name == "list":
                label = s.member.serialization.get("name", "member")
                if parts[0] != label:
                    problems.append("list %s%s must use .%s.N" % (path, parts[0], label)); return None
                index = int(parts[1]) - 1
                while len(target) <= index: target.append({} if s.member.type_name == "structure" else None)
                if len(parts) == 2: target[index] = convert(s.member, text)
                else: put(s.member, parts[2:], text, target[index], path)

        params = {}
        if "json" in protocols and protocol in ("json", "smithy-rpc-v2-cbor") and protocol == "json":
            want = "%s.%s" % (model.metadata["targetPrefix"], op.name)
            if headers.get("x-amz-target") != want: problems.append("X-Amz-Target %r, want %r" % (headers.get("x-amz-target"), want))
            ctype = "application/x-amz-json-%s" % model.metadata["jsonVersion"]
            if headers.get("content-type") != ctype: problems.append("Content-Type %r, want %r" % (headers.get("content-type"), ctype))
            if req["method"] != "POST" or req["path"] != "/": problems.append("must be POST /")
            params = json.loads(req["body"] or "{}")
        elif "query" in protocols:
            fields = urllib.parse.parse_qsl(req["body"], keep_blank_values=True)
            if headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded": problems.append("not form-encoded")
            form = dict(fields)
            if form.get("Action") != op.name: problems.append("Action %r, want %r" % (form.get("Action"), op.name))
            if form.get("Version") != model.metadata["apiVersion"]: problems.append("Version %r, want %r" % (form.get("Version"), model.metadata["apiVersion"]))
            for key, value in fields:
                if key in ("Action", "Version"): continue
                put(shape, key.split("."), value, params, "")
        elif protocol == "rest-xml":
            http = op.http
            if req["method"] != http["method"]: problems.append("method %s, want %s" % (req["method"], http["method"]))
            template = http["requestUri"].split("?")[0]
            pieces = re.split(r"\{(\w+)\+?\}", template)
            pattern = "^" + "".join(re.escape(p) if i % 2 == 0 else "(?P<%s>[^/]+)" % p for i, p in enumerate(pieces)) + "$"
            match = re.match(pattern, req["path"])
            if not match: problems.append("path %s does not match %s" % (req["path"], template))
            locations = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items() if m.serialization.get("location") == "uri"}
            queries = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items() if m.serialization.get("location") == "querystring"}
            if match:
                for label, value in match.groupdict().items(): params[locations[label][0]] = value
            for name, value in req["query"]:
                if name not in queries: problems.append("query parameter %s is not in the model" % name)
                else: params[queries[name][0]] = convert(queries[name][1], value)
            if req["body"]:
                root = ET.fromstring(req["body"])
                payload_name = shape.serialization.get("name")
                ns = shape.serialization.get("xmlNamespace", {}).get("uri")
                if root.tag != "{%s}%s" % (ns, payload_name): problems.append("root element %s, want {%s}%s" % (root.tag, ns, payload_name))
                def walk(s, node, path):
                    if s.type_name == "structure":
                        out = {}
                        names = [c.tag.split("}")[-1] for c in node]
                        order = [n for n in s.members if n in names]
                        if names != order: problems.append("%s: elements %s not in model order %s" % (path, names, order))
                        for child in node:
                            tag = child.tag.split("}")[-1]
                            if tag not in s.members: problems.append("element %s/%s is not in shape %s" % (path, tag, s.name)); continue
                            out[tag] = walk(s.members[tag], child, path + "/" + tag)
                        return out
                    if s.type_name == "list":
                        return [walk(s.member, c, path) for c in node]
                    return convert(s, node.text or "")
                for child in root:
                    tag = child.tag.split("}")[-1]
                    if tag not in shape.members: problems.append("element %s is not in the input shape" % tag); continue
                    params[tag] = walk(shape.members[tag], child, tag)
        else:
            problems.append("protocol %s not checked" % protocol)
        try:
            validate_parameters(params, shape)
        except ParamValidationError as error:
            problems.append(str(error).replace("\n", " "))
        print("\n".join(problems))
        """#
}
