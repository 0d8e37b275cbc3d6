/*
 * Upload progress for evidence forms. Without JavaScript the form posts as usual; with it, the
 * same form is sent by XMLHttpRequest so a <progress> bar can follow the upload. The server
 * answers an enhanced request that succeeded with JSON naming the page to open; a refused upload
 * answers with the form page and its errors, whose main content replaces this page's.
 */
(function () {
  'use strict';

  function enhance(form) {
    var box = form.querySelector('[data-upload-progress]');
    var bar = box && box.querySelector('progress');
    var text = box && box.querySelector('[data-upload-progress-text]');
    if (!box || !bar || !text || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
      return;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
      box.hidden = false;
      bar.value = 0;
      bar.textContent = '0%';
      text.textContent = 'Uploading: 0%';
      if (button) { button.disabled = true; }

      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        bar.textContent = percent + '%';
        text.textContent = 'Uploading: ' + percent + '%';
      });
      xhr.upload.addEventListener('load', function () {
        bar.value = 100;
        text.textContent = 'Uploaded. Checking the file…';
      });
      xhr.addEventListener('load', function () {
        var type = xhr.getResponseHeader('Content-Type') || '';
        if (xhr.status >= 200 && xhr.status < 300 && type.indexOf('application/json') === 0) {
          window.location.assign(JSON.parse(xhr.responseText).location);
          return;
        }
        var page = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        var main = page.getElementById('main-content');
        var current = document.getElementById('main-content');
        if (main && current) {
          current.replaceWith(main);
          document.title = page.title;
          init();
          var summary = main.querySelector('.govuk-error-summary');
          if (summary) {
            summary.setAttribute('tabindex', '-1');
            summary.focus();
          }
          return;
        }
        failed('The upload failed (the server answered ' + xhr.status + '). Try again.');
      });
      xhr.addEventListener('error', function () {
        failed('The upload was interrupted. Check your connection and try again.');
      });

      function failed(message) {
        text.textContent = message;
        if (button) { button.disabled = false; }
      }

      xhr.send(new FormData(form));
    });
  }

  function init() {
    var forms = document.querySelectorAll('form[data-evidence-upload]');
    for (var i = 0; i < forms.length; i++) {
      if (!forms[i].hasAttribute('data-enhanced')) {
        forms[i].setAttribute('data-enhanced', '');
        enhance(forms[i]);
      }
    }
  }

  init();
}());
