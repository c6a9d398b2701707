import type protobuf from "protobufjs";
import { messageInfo, type FieldInfo, type ScalarType } from "../../protojson/message-info.js";
import { escapeAttribute } from "../../codecs/xml/xml-text.js";
import { xmlWellKnown } from "../../codecs/xml/xml-well-known.js";
import { soapActionFor } from "../soap-version.js";

export interface WsdlService {
  readonly service: protobuf.Service;
  /** The unary methods offered as operations. */
  readonly methods: readonly protobuf.Method[];
  readonly targetNamespace: string;
  /** The endpoint URL written in both ports. */
  readonly location: string;
  readonly useProtoNames: boolean;
}

const xsdTypes: Readonly<Record<ScalarType, string>> = {
  double: "xs:double",
  float: "xs:float",
  int64: "xs:long",
  sint64: "xs:long",
  sfixed64: "xs:long",
  uint64: "xs:unsignedLong",
  fixed64: "xs:unsignedLong",
  int32: "xs:int",
  sint32: "xs:int",
  sfixed32: "xs:int",
  uint32: "xs:unsignedInt",
  fixed32: "xs:unsignedInt",
  bool: "xs:boolean",
  string: "xs:string",
  bytes: "xs:base64Binary",
};

/**
 * WSDL 1.1, document/literal wrapped, with an XSD generated from the
 * descriptors: each operation's input element is named after the method and
 * typed by its request message, the output `<Method>Response` by its
 * response message; int64 → xs:long, bytes → xs:base64Binary, Timestamp →
 * xs:dateTime, enums as xs:string restrictions, repeated → maxOccurs
 * unbounded, maps as key/value entry lists. One SOAP 1.1 and one SOAP 1.2
 * binding and port share the address.
 */
export function generateWsdl(spec: WsdlService): string {
  const schema = new SchemaWriter(spec.useProtoNames);
  for (const method of spec.methods) {
    schema.element(method.name, method.resolvedRequestType!);
    schema.element(`${method.name}Response`, method.resolvedResponseType!);
  }
  const name = spec.service.name;
  const tns = escapeAttribute(spec.targetNamespace);
  const messages = spec.methods
    .map(
      (method) =>
        `<wsdl:message name="${method.name}Input"><wsdl:part name="parameters" element="tns:${method.name}"/></wsdl:message>` +
        `<wsdl:message name="${method.name}Output"><wsdl:part name="parameters" element="tns:${method.name}Response"/></wsdl:message>`,
    )
    .join("");
  const operations = spec.methods
    .map((method) => `<wsdl:operation name="${method.name}"><wsdl:input message="tns:${method.name}Input"/><wsdl:output message="tns:${method.name}Output"/></wsdl:operation>`)
    .join("");
  const binding = (prefix: string, suffix: string) =>
    `<wsdl:binding name="${name}${suffix}Binding" type="tns:${name}PortType"><${prefix}:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>` +
    spec.methods
      .map(
        (method) =>
          `<wsdl:operation name="${method.name}"><${prefix}:operation soapAction="${escapeAttribute(soapActionFor(spec.targetNamespace, method.name))}" style="document"/>` +
          `<wsdl:input><${prefix}:body use="literal"/></wsdl:input><wsdl:output><${prefix}:body use="literal"/></wsdl:output></wsdl:operation>`,
      )
      .join("") +
    "</wsdl:binding>";
  const location = escapeAttribute(spec.location);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<wsdl:definitions name="${name}" targetNamespace="${tns}" xmlns:tns="${tns}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" ` +
    'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:xs="http://www.w3.org/2001/XMLSchema">' +
    `<wsdl:types><xs:schema targetNamespace="${tns}" elementFormDefault="qualified">${schema.toString()}</xs:schema></wsdl:types>` +
    messages +
    `<wsdl:portType name="${name}PortType">${operations}</wsdl:portType>` +
    binding("soap", "Soap") +
    binding("soap12", "Soap12") +
    `<wsdl:service name="${name}"><wsdl:port name="${name}Soap" binding="tns:${name}SoapBinding"><soap:address location="${location}"/></wsdl:port>` +
    `<wsdl:port name="${name}Soap12" binding="tns:${name}Soap12Binding"><soap12:address location="${location}"/></wsdl:port></wsdl:service>` +
    "</wsdl:definitions>"
  );
}

/** Collects the XSD declarations reachable from the operations' messages, each type once. */
class SchemaWriter {
  readonly #useProtoNames: boolean;
  readonly #parts: string[] = [];
  /** Type full name → XSD type name; simple names unless two types share one. */
  readonly #names = new Map<string, string>();
  readonly #taken = new Set<string>();

  constructor(useProtoNames: boolean) {
    this.#useProtoNames = useProtoNames;
  }

  element(name: string, type: protobuf.Type): void {
    this.#parts.push(`<xs:element name="${name}" type="${this.#typeRef(type)}"/>`);
  }

  toString(): string {
    return this.#parts.join("");
  }

  #nameFor(type: { readonly name: string; readonly fullName: string }): { name: string; fresh: boolean } {
    const fullName = type.fullName.slice(1);
    const known = this.#names.get(fullName);
    if (known !== undefined) return { name: known, fresh: false };
    const name = this.#taken.has(type.name) ? fullName.replace(/\./g, "_") : type.name;
    this.#taken.add(name);
    this.#names.set(fullName, name);
    return { name, fresh: true };
  }

  /** The XSD type of a message: a built-in for the text-shaped well-known types, else a complexType declared once. */
  #typeRef(type: protobuf.Type): string {
    const special = xmlWellKnown(type);
    if (special?.kind === "text") return type.name === "Timestamp" ? "xs:dateTime" : "xs:string";
    if (special?.kind === "wrapper") return this.#fieldType(special.inner);
    if (special?.kind === "json") return "xs:string";
    const { name, fresh } = this.#nameFor(type);
    if (!fresh) return `tns:${name}`;
    if (special?.kind === "any") {
      this.#parts.push(
        `<xs:complexType name="${name}"><xs:sequence><xs:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/></xs:sequence><xs:attribute name="type" type="xs:string"/></xs:complexType>`,
      );
      return `tns:${name}`;
    }
    // Declared before its fields are visited, so a recursive message refers to itself.
    const index = this.#parts.push("") - 1;
    const fields = messageInfo(type)
      .fields.map((field) => this.#fieldElement(type, field))
      .join("");
    this.#parts[index] = `<xs:complexType name="${name}"><xs:sequence>${fields}</xs:sequence></xs:complexType>`;
    return `tns:${name}`;
  }

  #fieldElement(owner: protobuf.Type, field: FieldInfo): string {
    const name = this.#useProtoNames ? field.protoName : field.jsonName;
    if (field.map) {
      const entry = this.#nameFor({ name: `${owner.name}_${field.jsonName}Entry`, fullName: `${owner.fullName}.${field.protoName}$entry` }).name;
      this.#parts.push(
        `<xs:complexType name="${entry}"><xs:sequence><xs:element name="key" type="${xsdTypes[field.mapKey!]}"/>` +
          `<xs:element name="value" type="${this.#fieldType(field)}" minOccurs="0" nillable="true"/></xs:sequence></xs:complexType>`,
      );
      return `<xs:element name="${name}" type="tns:${entry}" minOccurs="0" maxOccurs="unbounded"/>`;
    }
    const wrapper = field.kind === "message" && xmlWellKnown(field.messageType!)?.kind === "wrapper";
    return `<xs:element name="${name}" type="${this.#fieldType(field)}" minOccurs="0"${field.repeated ? ' maxOccurs="unbounded"' : ""}${wrapper ? ' nillable="true"' : ""}/>`;
  }

  #fieldType(field: FieldInfo): string {
    if (field.kind === "message") return this.#typeRef(field.messageType!);
    if (field.kind === "scalar") return xsdTypes[field.scalar!];
    const { name, fresh } = this.#nameFor(field.enumType!);
    if (fresh) {
      const values = Object.keys(field.enumType!.values)
        .map((value) => `<xs:enumeration value="${value}"/>`)
        .join("");
      this.#parts.push(`<xs:simpleType name="${name}"><xs:restriction base="xs:string">${values}</xs:restriction></xs:simpleType>`);
    }
    return `tns:${name}`;
  }
}
