// Upload with a visible progress bar; the server answers with a redirect to the import job page.
(function () {
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const data = new FormData(form);
    const request = new XMLHttpRequest();
    const box = document.getElementById("upload-progress");
    const bar = document.getElementById("upload-bar");
    const percent = document.getElementById("upload-percent");
    box.hidden = false;
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      const value = Math.round((100 * e.loaded) / e.total);
      bar.value = value;
      percent.textContent = value + "%";
    });
    request.addEventListener("load", function () {
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.href = request.responseURL;
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.open("POST", form.action || window.location.href);
    request.send(data);
  });
})();
