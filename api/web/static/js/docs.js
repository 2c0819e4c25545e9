// The API's documentation, from the OpenAPI document of this server, with the vendored
// Swagger UI (no CDN).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
