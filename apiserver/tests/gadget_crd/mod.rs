//! A CustomResourceDefinition the project has never seen, `gadgets.toys.example.com`, shared by
//! the `unseen_crd*` tests: two served versions, the status subresource, printer
//! columns, a category and a short name, and a schema that uses every kind of rule.

use crate::test_server::TestServer;

/// The CRD, written the way a user would write it.
pub const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.toys.example.com
spec:
  group: toys.example.com
  scope: Namespaced
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
    listKind: GadgetList
    shortNames: [gdg]
    categories: [toybox]
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      additionalPrinterColumns:
        - name: Color
          type: string
          jsonPath: .spec.color
        - name: Size
          type: integer
          jsonPath: .spec.size
        - name: Built
          type: date
          jsonPath: .spec.builtAt
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [color, serial]
              x-kubernetes-validations:
                - rule: "self.minSize <= self.size"
                  message: "size must be at least minSize"
                  fieldPath: .size
              properties:
                color:
                  type: string
                  enum: [red, green, blue]
                serial:
                  type: string
                  pattern: '^[A-Z]{2}-[0-9]{4}$'
                  x-kubernetes-validations:
                    - rule: "self == oldSelf"
                      message: "serial is immutable"
                nickname:
                  type: string
                  minLength: 2
                  maxLength: 10
                size:
                  type: integer
                  minimum: 1
                  maximum: 10
                  default: 3
                minSize:
                  type: integer
                  default: 1
                builtAt:
                  type: string
                  format: date-time
                note:
                  type: string
                  nullable: true
                port:
                  x-kubernetes-int-or-string: true
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                tags:
                  type: array
                  maxItems: 3
                  x-kubernetes-list-type: set
                  items:
                    type: string
                parts:
                  type: array
                  minItems: 1
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    required: [name]
                    properties:
                      name:
                        type: string
                      count:
                        type: integer
                        default: 1
            status:
              type: object
              properties:
                phase:
                  type: string
                observedGeneration:
                  type: integer
    - name: v1beta1
      served: true
      storage: false
      subresources:
        status: {}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"#;

/// Starts a server with the Gadget CRD applied and Established.
pub async fn server_with_gadgets() -> TestServer {
    let server = TestServer::start().await;
    let created = server.apply_yaml(CRD, &[]);
    assert_eq!(
        created.trim(),
        "customresourcedefinition.apiextensions.k8s.io/gadgets.toys.example.com created"
    );
    server.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "crd/gadgets.toys.example.com",
        "--timeout=10s",
    ]);
    server
}

/// A Gadget manifest in the default namespace whose spec is the given YAML lines.
pub fn gadget(name: &str, spec: &[&str]) -> String {
    let mut manifest = format!(
        "apiVersion: toys.example.com/v1\nkind: Gadget\nmetadata:\n  name: {name}\nspec:\n"
    );
    for line in spec {
        manifest.push_str(&format!("  {line}\n"));
    }
    manifest
}

/// The smallest valid Gadget spec.
pub const MINIMAL: [&str; 2] = ["color: red", "serial: AB-1234"];
